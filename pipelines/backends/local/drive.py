"""Documents of the local workspace: files under drive/, each recorded in the manifest under its
DocKey with its digest, so a job run again writes only what changed (ports.plan_put)."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.backends.local.files import atomic_write, file_errors
from pipelines.backends.local.manifest import Manifest
from pipelines.formats.digest import content_digest
from pipelines.ports import BackendError, Content, DocKey, StoredDoc, plan_put


class LocalDrive:
    def __init__(self, root: Path, manifest: Manifest):
        self.root, self.manifest = root, manifest

    @file_errors
    def put(
        self,
        key: DocKey,
        folder: list[str],
        filename: str,
        content: Content,
        mime: str = "",
        *,
        source: str | None = None,
    ) -> StoredDoc:
        token = key.token()
        rel = Path("drive", *folder, filename)
        entry = self.manifest.data["documents"].get(token)
        exists = bool(entry) and (self.root / entry["path"]).exists()
        plan = plan_put(
            stored_digest=entry["sha256"] if exists else None,
            stored_source=entry.get("source") if exists else None,
            same_place=exists and entry["path"] == rel.as_posix(),
            content=content,
            source=source,
        )
        if not plan.write:
            if plan.remember_source:
                entry["source"] = source
                self.manifest.save(durable=False)
            return StoredDoc(key, str(self.root / entry["path"]))
        content, digest = plan.data or b"", plan.digest or ""
        if entry and entry["path"] != rel.as_posix():
            (self.root / entry["path"]).unlink(missing_ok=True)
        atomic_write(self.root / rel, content)
        self.manifest.data["documents"][token] = {
            "path": rel.as_posix(),
            "sha256": digest,
            "properties": key.properties(),
            "source": source,
        }
        self.manifest.save(durable=False)
        return StoredDoc(key, str(self.root / rel), changed=True)

    @file_errors
    def put_pdf(self, key: DocKey, folder: list[str], filename: str, docx: bytes) -> StoredDoc:
        from pipelines.formats.documents import DocumentError, to_pdf

        entry = self.manifest.data["documents"].get(key.token())
        source = content_digest(docx)
        if entry and entry.get("source_sha256") == source and (self.root / entry["path"]).exists():
            return StoredDoc(key, str(self.root / entry["path"]))
        try:
            pdf = to_pdf(docx)
        except DocumentError as exc:
            raise BackendError(str(exc)) from None
        stored = self.put(key, folder, filename, pdf)
        self.manifest.data["documents"][key.token()]["source_sha256"] = source
        self.manifest.save(durable=False)
        return stored

    def can_make_pdf(self) -> bool:
        from pipelines.formats.documents import libreoffice

        return libreoffice() is not None

    def access(self) -> list[dict[str, str]]:
        return []  # nothing here is shared: a folder on CDB's own disk

    def documents(self) -> list[StoredDoc]:
        out = []
        root = str(self.root)  # joined as text: a Path per document cost an idle tick more as they grew
        for _token, entry in sorted(self.manifest.data["documents"].items()):
            p = entry["properties"]
            key = DocKey(p["edition"], p["kind"], int(p["stage"]), p["group"], p["subject"], int(p["version"]))
            out.append(StoredDoc(key, os.path.join(root, entry["path"])))
        return out
