"""The manifest: what the pipeline made under its idempotency key (documents, rating sheets) and the
ledger of share messages, held in memory by a job and saved to the workspace database
(store.Database, table `entries`): a save is one transaction of the entries that changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.backends.local.store import PARTS, Database


class _Entries(dict):
    """One part of the manifest (token -> entry) that tells the manifest which entries changed."""

    def __init__(self, manifest: Manifest, part: str, entries: dict[str, Any]):
        super().__init__()
        self._manifest, self._part = manifest, part
        for token, entry in entries.items():
            dict.__setitem__(self, token, _Entry(self, token, entry))

    def changed(self, token: str) -> None:
        self._manifest._changed.add((self._part, token))

    def __setitem__(self, token: str, entry: dict[str, Any]) -> None:
        dict.__setitem__(self, token, _Entry(self, token, entry))
        self.changed(token)

    def __delitem__(self, token: str) -> None:
        dict.__delitem__(self, token)
        self.changed(token)


class _Entry(dict):
    """One entry; setting a key marks it changed (jobs update entries in place, then save)."""

    def __init__(self, owner: _Entries, token: str, items: dict[str, Any]):
        super().__init__(items)
        self._owner, self._token = owner, token

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, value)
        self._owner.changed(self._token)


class _Parts(dict):
    """The manifest's parts, each read from the database when first used (`lazy`: opening a
    workspace creates no database; jobs/guard.py looks first)."""

    def __init__(self, manifest: Manifest):
        super().__init__()
        self._manifest = manifest

    def __missing__(self, part: str) -> _Entries:
        if part not in PARTS:
            raise KeyError(part)
        stored = self._manifest.db.entries(part)
        entries = self[part] = _Entries(self._manifest, part, stored.get(part, {}))
        return entries


class Manifest:
    """The entries of the workspace database, as a job reads and changes them: `data[part][token]`
    is an entry (a dict); setting, replacing or deleting one marks it, and `save` writes what changed
    in one transaction."""

    def __init__(self, root: Path, db: Database | None = None, *, lazy: bool = False):
        self.db = db or Database(root)
        self.path = self.db.path
        self._changed: set[tuple[str, str]] = set()
        self.data = _Parts(self)
        if not lazy:
            self.data["sheets"]  # noqa: B018 - read now: a damaged store is said at once

    def save(self, *, durable: bool = True) -> None:
        """Make what changed since the last save durable, in one transaction.

        `durable=False` (a document's entry, LocalDrive.put) commits without forcing it to disk: a
        process crash never loses it; only a power loss before the next durable save (a sheet, a
        message, anything else) can — then the document is simply made again, as its file, never
        forced to disk either, may be lost with it. A sheet's or a message's entry is forced to disk
        before save returns (a message must never go twice)."""
        if not self._changed:
            return
        changes = [(part, token, self.data[part].get(token)) for part, token in sorted(self._changed)]
        self.db.save_entries([(p, t, None if e is None else dict(e)) for p, t, e in changes], durable=durable)
        self._changed.clear()


class ManifestLedger:
    """ports.MessageLedger in the manifest's "messages" part (the local workspace)."""

    def __init__(self, manifest: Manifest):
        self.manifest = manifest

    def message_state(self, key: str) -> str | None:
        entry = self.manifest.data["messages"].get(key)
        return entry.get("state") if entry else None

    def record_message(self, key: str, state: str) -> None:
        self.manifest.data["messages"][key] = {"state": state}
        self.manifest.save()  # a transaction of its own, on disk before the message goes
