"""One way to write a notification message, for both backends (an .eml file, a Gmail send)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from pathlib import Path

# Python folds long non-ASCII subjects into encoded words and can put a space between two of them,
# where mail readers drop it ("бағдарламалаукафедрасы"). Headers up to RFC 5322's 998 characters
# are therefore not folded.
UNFOLDED = policy.default.clone(max_line_length=998)
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def message_id(key: str, sender: str | None = None) -> str:
    """The Message-ID of the mail sent under idempotency `key`: the same on every run, so the
    mailbox can be asked whether it went (Gmail: q="rfc822msgid:<id>")."""
    domain = (sender or "").rpartition("@")[2].strip(" >") or "contest.invalid"
    return f"<contest-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def compose(
    to: str,
    subject: str,
    body: str,
    *,
    sender: str | None = None,
    attachments: Sequence[Path] = (),
    msgid: str | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=UNFOLDED)
    msg["To"], msg["Subject"] = to, subject
    if msgid:
        msg["Message-ID"] = msgid
    if sender:
        msg["From"] = sender
    msg.set_content(body)
    digests = []
    for attachment in attachments:
        if attachment.exists():
            data = attachment.read_bytes()
            msg.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=attachment.name)
            digests.append(hashlib.sha256(data).hexdigest())
    if digests:
        # the same message, the same bytes: email's default boundary is random, which would make a
        # rewritten .eml (after a crash) differ from the first and every copy of an edition differ
        seed = "|".join([to, subject, body, *digests])
        msg.set_boundary("=_contest_" + hashlib.sha256(seed.encode()).hexdigest()[:32])
    return msg
