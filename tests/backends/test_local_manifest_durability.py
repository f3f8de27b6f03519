"""What the local manifest forces to disk: a message's and a sheet's entry before save returns; a
document's entry is appended without it (the document is made again if a power loss takes it)."""

from __future__ import annotations

import os

from pipelines.backends.local import LocalDrive, Manifest, ManifestLedger
from pipelines.ports import DocKey


def _count_fsyncs(monkeypatch) -> list[int]:
    forced: list[int] = []
    real = os.fsync

    def fsync(fd: int) -> None:  # the system call, counted
        forced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return forced


def test_documents_are_put_without_forcing_the_log_and_read_by_the_next_run(tmp_path, monkeypatch):
    forced = _count_fsyncs(monkeypatch)
    drive = LocalDrive(tmp_path, Manifest(tmp_path))
    keys = [DocKey("atu-2027", "form02", 1, "FIT-IS", f"expert{n}@atu.edu.kz") for n in range(20)]
    for key in keys:
        stored = drive.put(
            key, ["stage-1", "FIT-IS", "form02"], f"form02_{key.subject}.docx", b"PK sheet " + key.subject.encode()
        )
        assert stored.changed
    assert forced == []
    later = LocalDrive(tmp_path, Manifest(tmp_path))  # the next run, on the same machine
    assert sorted(d.key.subject for d in later.documents()) == sorted(k.subject for k in keys)
    again = later.put(
        keys[0],
        ["stage-1", "FIT-IS", "form02"],
        f"form02_{keys[0].subject}.docx",
        b"PK sheet " + keys[0].subject.encode(),
    )
    assert not again.changed and forced == []


def test_a_message_is_forced_to_disk_with_the_documents_before_it(tmp_path, monkeypatch):
    forced = _count_fsyncs(monkeypatch)
    manifest = Manifest(tmp_path)
    drive = LocalDrive(tmp_path, manifest)
    drive.put(DocKey("atu-2027", "form01", 0, "FIT-IS", "DER-001"), ["intake"], "form01_DER-001.docx", b"letter")
    assert forced == []
    ManifestLedger(manifest).record_message("share/s1/a@atu.edu.kz", "intended")
    assert len(forced) == 1  # one fsync of the log: the message's line and the document's before it
    again = Manifest(tmp_path)
    assert ManifestLedger(again).message_state("share/s1/a@atu.edu.kz") == "intended"
    assert len(again.data["documents"]) == 1


def test_a_sheets_entry_is_forced_to_disk(tmp_path, monkeypatch):
    forced = _count_fsyncs(monkeypatch)
    manifest = Manifest(tmp_path)
    manifest.data["sheets"]["s1"] = {"path": "drive/stage-1/s1.xlsx", "sharing": {}}
    manifest.save()
    assert len(forced) == 1
