"""Content digests that ignore what changes on every save (zip entry times), so re-running a job
that renders the same document recognises it as unchanged."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable


class Digested(bytes):
    """Bytes that carry their content digest, worked out (when first asked) by what made them from
    parts it held (documents.render): storing them then does not unzip them again to find it."""

    _digest: str | Callable[[], str]

    def __new__(cls, data: bytes, digest: str | Callable[[], str]) -> Digested:
        made = super().__new__(cls, data)
        made._digest = digest
        return made

    @property
    def digest(self) -> str:
        if callable(self._digest):
            self._digest = self._digest()
        return self._digest


def content_digest(data: bytes) -> str:
    """sha256 of the content: for a zip container (.docx/.xlsx), of its entries' names and bytes."""
    if isinstance(data, Digested):
        return data.digest
    digest = hashlib.sha256()
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in sorted(archive.namelist()):
                    digest.update(name.encode() + b"\0" + archive.read(name) + b"\0")
            return digest.hexdigest()
        except zipfile.BadZipFile:
            pass
    digest.update(data)
    return digest.hexdigest()
