"""Gmail v1: users.messages.send (raw RFC 822, base64url) -> fake.sent_mail."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from email.utils import getaddresses

from .registry import Req, handles
from .util import ApiError


def _decode_raw(raw: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise ApiError(400, "Invalid value for ByteString: raw")


@handles("gmail.users.messages.send")
def messages_send(fake, req):
    user = req.p("userId")
    if user not in ("me", fake.identity):
        raise ApiError(403, "Delegation denied for " + fake.identity, reason="forbidden")
    if fake.gmail_precondition_failure:
        raise ApiError(400, "Precondition check failed.", status="FAILED_PRECONDITION", reason="failedPrecondition")
    if req.media is not None:
        raw = req.media
    else:
        body = req.json()
        if not body.get("raw"):
            raise ApiError(
                400,
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
                reason="invalidArgument",
            )
        raw = _decode_raw(body["raw"])
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    to = [a for _, a in getaddresses(msg.get_all("To", []))]
    cc = [a for _, a in getaddresses(msg.get_all("Cc", []))]
    bcc = [a for _, a in getaddresses(msg.get_all("Bcc", []))]
    if not (to or cc or bcc):
        raise ApiError(400, "Recipient address required", reason="invalidArgument")
    body_part = msg.get_body(preferencelist=("plain", "html"))
    attachments = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True)) for part in msg.iter_attachments()
    ]
    msg_id = "".join(fake.rng.choice("0123456789abcdef") for _ in range(16))
    thread_id = (req.json().get("threadId") if req.body else None) or msg_id
    fake.sent_mail.append(
        {
            "id": msg_id,
            # Gmail keeps a well-formed Message-ID the sender set, and makes one otherwise
            "message_id": str(msg.get("Message-ID") or f"<{msg_id}@mail.gmail.com>").strip(),
            "threadId": thread_id,
            "raw": raw,
            "message": msg,
            "from": msg.get("From"),
            "to": to,
            "cc": cc,
            "bcc": bcc,
            "subject": msg.get("Subject"),
            "text": body_part.get_content() if body_part is not None else "",
            "attachments": attachments,
            "time": fake.now_rfc3339(),
        }
    )
    return {"id": msg_id, "threadId": thread_id, "labelIds": ["SENT"]}


_TERM = re.compile(r'(\S+?):("[^"]*"|\S+)')


@handles("gmail.users.messages.list")
def messages_list(fake, req: Req) -> dict:
    """The sending mailbox's messages (the fake holds sent mail only) matching `q`. Of Gmail's search
    operators the fake knows `rfc822msgid:` (the Message-ID header, with or without its angle
    brackets) and `in:sent`; any other term is refused rather than answered wrongly."""
    user = req.p("userId")
    if user not in ("me", fake.identity):
        raise ApiError(403, "Delegation denied for " + fake.identity, reason="forbidden")
    query = (req.q("q") or "").strip()
    wanted: list[str] = []
    rest = _TERM.sub(lambda m: _term(m, wanted), query).strip()
    if rest:
        raise ApiError(400, f"google_fake: search term(s) not emulated: {rest!r}", reason="invalidArgument")
    found = [m for m in fake.sent_mail if all(m.get("message_id", "").strip("<>") == w for w in wanted)]
    found.reverse()  # newest first, as Gmail lists
    limit = int(req.q("maxResults") or 100)
    out: dict = {"resultSizeEstimate": len(found)}
    if found:
        out["messages"] = [{"id": m["id"], "threadId": m["threadId"]} for m in found[:limit]]
    return out


def _term(match: re.Match, wanted: list[str]) -> str:
    name, value = match.group(1).lower(), match.group(2).strip('"')
    if name == "rfc822msgid":
        wanted.append(value.strip("<>"))
        return ""
    if name == "in" and value.lower() == "sent":
        return ""
    return match.group(0)
