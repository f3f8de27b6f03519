"""outbox/: no mail server offline, so every message lands as an .eml file for CDB to send.

A file is named for the person who sends it — `<date>_<kind>_<recipient>.eml` (`_2`, `_3` … when
one day holds two of a kind for one person), only characters every file system takes — and carries
`From:` (backend.sender), `Date:` and a `Message-ID:` derived from its idempotency key, so a message
written again after a crash is the same file with the same headers, and one CDB sends twice is
recognisably the same mail. The workspace database records each key's file (part "outbox", before
the file is written: a crash in between writes the same name again) and the files CDB marked as
sent (part "outbox_sent", `contest outbox --mark-sent`). A file the previous version named by the
hash of its key (`<12 hex>.eml`) still stands for its message: never written a second time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email import message_from_bytes, policy
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from pipelines.backends.local.files import atomic_write, file_errors, sha256
from pipelines.backends.local.manifest import Manifest
from pipelines.formats.mail import compose, message_id

UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]+")  # Windows refuses <>:"/\|?* and control characters; keep fewer
LEGACY_NAME = re.compile(r"[0-9a-f]{12}\.eml")


def legacy_path(root: Path, key: str) -> Path:
    """Where the previous version wrote the message of `key`: named by its hash."""
    return root / "outbox" / f"{sha256(key.encode())[:12]}.eml"


def content_key(to: str, subject: str, body: str) -> str:
    """The key of a message written without one: its content (the previous version's name too)."""
    return to + subject + body


def kind_of(key: str) -> str:
    """The message's kind for its file name: "notify/accepted DER-1 a@b" -> "accepted",
    "share/…" -> "share", "remind/…" -> "remind"; a message keyed by its content -> "message"."""
    head, sep, rest = key.partition("/")
    if not sep or not re.fullmatch(r"[a-z][a-z0-9_-]*", head):
        return "message"
    if head == "notify":
        return safe(rest.split(" ", 1)[0]) or head
    return head


def safe(text: str, limit: int = 80) -> str:
    """`text` as part of a file name on Windows, macOS and Linux alike."""
    return UNSAFE.sub("_", text).strip("._")[:limit]


@dataclass(frozen=True)
class Waiting:
    """One .eml in outbox/ and whether CDB marked it sent."""

    id: str  # short and stable: the Message-ID's hash (or the old file's hash name)
    file: str
    to: str
    subject: str
    date: str  # ISO 8601, from the Date: header ("" when it has none: an older file)
    sent_at: str  # "" while it waits


class Outbox:
    """The outbox of one local workspace. `now` is the job's time (--now): the Date: header and the
    file name's date of what it writes (ports.Workspace.act_at sets it)."""

    def __init__(self, root: Path, manifest: Manifest, *, sender: str | None = None, zone: tzinfo | None = None):
        self.root, self.manifest, self.sender, self.zone = root, manifest, sender, zone
        self.now: datetime | None = None
        self._taken: set[str] | None = None  # file names in use, folded to lower case (Windows, macOS)

    @property
    def folder(self) -> Path:
        return self.root / "outbox"

    def path_of(self, key: str) -> Path | None:
        """The file that holds the message of `key` if it was written (this version's or an old one)."""
        entry = self.manifest.data["outbox"].get(key)
        if entry and (self.folder / entry["file"]).exists():
            return self.folder / entry["file"]
        old = legacy_path(self.root, key)
        return old if old.exists() else None

    def holds(self, key: str) -> bool:
        return self.path_of(key) is not None

    def write(
        self, to: str, subject: str, body: str, *, attachments: tuple[Path, ...] = (), key: str | None = None
    ) -> Path:
        """The message in outbox/ under `key` (else its content): written again after a crash under
        the name recorded for it, never a second file."""
        key = key or content_key(to, subject, body)
        found = self.path_of(key)
        if found is not None:
            return found
        entry = self.manifest.data["outbox"].get(key)
        if entry is None:  # the name is recorded before the file is written
            at = (self.now or datetime.now(UTC)).astimezone(self.zone)
            entry = {"file": self._free_name(at, kind_of(key), to), "date": at.isoformat(timespec="seconds")}
            self.manifest.data["outbox"][key] = entry
            self.manifest.save()
        msg = compose(
            to, subject, body, sender=self.sender, attachments=attachments, msgid=message_id(key, self.sender)
        )
        msg["Date"] = format_datetime(datetime.fromisoformat(entry["date"]))
        path = self.folder / entry["file"]
        atomic_write(path, bytes(msg))
        return path

    def _free_name(self, at: datetime, kind: str, to: str) -> str:
        if self._taken is None:
            listed = {p.name.lower() for p in self.folder.glob("*.eml")} if self.folder.exists() else set()
            self._taken = listed | {str(e["file"]).lower() for e in self.manifest.data["outbox"].values()}
        stem = f"{at:%Y-%m-%d}_{kind}_{safe(to.lower()) or 'nobody'}"
        name, n = f"{stem}.eml", 1
        while name.lower() in self._taken:
            n += 1
            name = f"{stem}_{n}.eml"
        self._taken.add(name.lower())
        return name

    # --- what CDB sees: `contest outbox` ---------------------------------------------------------
    @file_errors
    def listing(self) -> list[Waiting]:
        """Every .eml in outbox/, oldest first, with whether CDB marked it sent."""
        sent = self.manifest.data["outbox_sent"]
        out = []
        for path in sorted(self.folder.glob("*.eml")) if self.folder.exists() else []:
            with path.open("rb") as handle:  # the headers are enough
                head = handle.read(16384).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
            msg = message_from_bytes(head, policy=policy.default)
            mid = str(msg.get("Message-ID") or "")
            found = re.search(r"contest-([0-9a-f]{8})", mid)
            ident = found.group(1) if found else path.stem[:12]
            date = ""
            if msg.get("Date"):
                try:
                    date = parsedate_to_datetime(str(msg["Date"])).isoformat(timespec="minutes")
                except (TypeError, ValueError):
                    date = ""
            marked = sent.get(path.name)
            out.append(
                Waiting(
                    ident,
                    path.name,
                    str(msg.get("To") or ""),
                    str(msg.get("Subject") or ""),
                    date,
                    str(marked["at"]) if marked else "",
                )
            )
        return sorted(out, key=lambda w: (w.date or "0", w.file))

    def mark_sent(self, files: list[str], at: datetime) -> None:
        """Record `files` (names in outbox/) as sent by CDB at `at`, in one transaction."""
        for name in files:
            self.manifest.data["outbox_sent"][name] = {"at": at.isoformat(timespec="seconds")}
        self.manifest.save()


class LocalMailer:
    """No mail server offline: messages land in outbox/ as .eml files for CDB to send."""

    delivers = False  # notify() writes to the outbox; CDB sends (the CLI says "written", not "sent")

    def __init__(self, outbox: Outbox):
        self.outbox = outbox

    @file_errors
    def notify(
        self, to: str, subject: str, body: str, *, key: str | None = None, attachments: tuple[str, ...] = ()
    ) -> bool:
        self.outbox.write(to, subject, body, attachments=tuple(map(Path, attachments)), key=key)
        return True

    def delivered(self, key: str) -> bool | None:
        return self.outbox.holds(key)
