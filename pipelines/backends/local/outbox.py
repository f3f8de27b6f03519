"""outbox/: no mail server offline, so every message lands as an .eml file for CDB to send, named by
its key (else by its content): written again after a crash, never twice."""

from __future__ import annotations

from pathlib import Path

from pipelines.backends.local.files import atomic_write, file_errors, sha256
from pipelines.formats.mail import compose


def eml_path(root: Path, key: str) -> Path:
    return root / "outbox" / f"{sha256(key.encode())[:12]}.eml"


def write_eml(
    root: Path, to: str, subject: str, body: str, attachment: Path | None = None, key: str | None = None
) -> Path:
    """The message in outbox/, named by its key (else by its content): written again, never twice."""
    msg = compose(to, subject, body, attachment=attachment)
    path = eml_path(root, key or (to + subject + body))
    atomic_write(path, bytes(msg))
    return path


class LocalMailer:
    """No mail server offline: messages land in outbox/ as .eml files for CDB to send."""

    def __init__(self, root: Path):
        self.root = root

    @file_errors
    def notify(
        self, to: str, subject: str, body: str, *, key: str | None = None, attachment: str | None = None
    ) -> bool:
        write_eml(self.root, to, subject, body, attachment=Path(attachment) if attachment else None, key=key)
        return True

    def delivered(self, key: str) -> bool | None:
        return eml_path(self.root, key).exists()
