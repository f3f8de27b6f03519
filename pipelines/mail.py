"""One way to write a notification message, for both backends (an .eml file, a Gmail send)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from pathlib import Path

# Python folds long non-ASCII subjects into encoded words and can put a space between two of them,
# where mail readers drop it ("бағдарламалаукафедрасы"). Headers up to RFC 5322's 998 characters
# are therefore not folded.
UNFOLDED = policy.default.clone(max_line_length=998)
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def compose(
    to: str, subject: str, body: str, *, sender: str | None = None, attachment: Path | None = None
) -> EmailMessage:
    msg = EmailMessage(policy=UNFOLDED)
    msg["To"], msg["Subject"] = to, subject
    if sender:
        msg["From"] = sender
    msg.set_content(body)
    if attachment is not None and attachment.exists():
        msg.add_attachment(attachment.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=attachment.name)
    return msg
