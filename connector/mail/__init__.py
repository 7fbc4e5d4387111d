"""Mail the connector sends itself (Exact Online clients, operator alerts), and the replies
mailbox it reads (`imap`: read-only, headers only)."""

from connector.mail.smtp import Delivery, MailError, SmtpMailer, build_message

__all__ = ["Delivery", "MailError", "SmtpMailer", "build_message"]
