"""Content digests that ignore what changes on every save (zip entry times), so re-running a job
that renders the same document recognises it as unchanged."""

from __future__ import annotations

import hashlib
import io
import zipfile


def content_digest(data: bytes) -> str:
    """sha256 of the content: for a zip container (.docx/.xlsx), of its entries' names and bytes."""
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
