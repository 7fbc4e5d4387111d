"""Mail the connector sends itself (Exact Online clients, operator alerts)."""

from connector.mail.smtp import MailError, SmtpMailer, build_message

__all__ = ["MailError", "SmtpMailer", "build_message"]
