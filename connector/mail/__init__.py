"""Mail the connector sends itself (Exact Online clients, operator alerts)."""

from connector.mail.smtp import Delivery, MailError, SmtpMailer, build_message

__all__ = ["Delivery", "MailError", "SmtpMailer", "build_message"]
