"""Delivery: the outbox worker, the senders (SMTP, recorded SMS and phone), inbound mail.

Approving a message (``frankly.cases.approve_message``) queues it; a ``Worker`` claims
queued jobs one at a time and sends them; ``frankly.cases.receive_inbound`` attaches the
customers' replies. ``start_background_worker(db)`` runs a worker inside this process.
"""

from frankly.delivery._claim import ClaimLost, Job, claim, outbox_counts
from frankly.delivery._config import RetryPolicy, SmtpSettings
from frankly.delivery._email import build_email, tagged_subject, to_html
from frankly.delivery._senders import (
    Abandoned,
    DeliveryFailure,
    MailFolderSender,
    PermanentFailure,
    RecordedSender,
    Sender,
    SmtpSender,
    TemporaryFailure,
    TwoPhaseSMTP,
    TwoPhaseSMTP_SSL,
    Unconfirmed,
)
from frankly.delivery._worker import (
    Worker,
    WorkerStats,
    default_senders,
    mail_folder,
    send_now,
    start_background_worker,
)
from frankly.text.mail import InboundMail, parse_mail, read_mail_file, strip_reply

__all__ = [
    "Abandoned",
    "ClaimLost",
    "DeliveryFailure",
    "InboundMail",
    "Job",
    "MailFolderSender",
    "PermanentFailure",
    "RecordedSender",
    "RetryPolicy",
    "Sender",
    "SmtpSender",
    "SmtpSettings",
    "TemporaryFailure",
    "TwoPhaseSMTP",
    "TwoPhaseSMTP_SSL",
    "Unconfirmed",
    "Worker",
    "WorkerStats",
    "build_email",
    "claim",
    "default_senders",
    "mail_folder",
    "outbox_counts",
    "parse_mail",
    "read_mail_file",
    "send_now",
    "start_background_worker",
    "strip_reply",
    "tagged_subject",
    "to_html",
]
