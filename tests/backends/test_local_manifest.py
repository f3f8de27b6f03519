"""The local manifest's log: a save appends what changed; reading replays it over manifest.json."""

from __future__ import annotations

import json

import pytest

from pipelines.backends.local import LocalDrive, Manifest
from pipelines.ports import BackendError, DocKey


def _entry(n: int) -> dict:
    return {"path": f"drive/intake/form01_DER-{n:04d}.docx", "sha256": f"{n:064x}", "properties": {"n": str(n)}}


def test_a_manifest_json_written_before_the_log_existed_is_read_as_it_was(tmp_path):
    old = {"documents": {"k": _entry(1)}, "sheets": {"s": {"path": "drive/a.xlsx", "sharing": {"a@b": "writer"}}}}
    (tmp_path / "manifest.json").write_text(json.dumps(old, ensure_ascii=False, indent=1), encoding="utf-8")
    m = Manifest(tmp_path)
    assert m.data == {**old, "messages": {}}  # (an empty ledger of notices added)
    assert not (tmp_path / "manifest.log").exists()  # reading writes nothing


def test_each_save_appends_only_what_changed(tmp_path):
    m = Manifest(tmp_path)
    sizes = []
    for n in range(200):
        m.data["documents"][f"doc{n}"] = _entry(n)
        m.save()
        sizes.append((tmp_path / "manifest.log").stat().st_size)
    steps = {b - a for a, b in zip(sizes, sizes[1:])}
    assert max(steps) < 300  # one entry's line, whatever the manifest already holds
    m.save()  # nothing changed: nothing written
    assert (tmp_path / "manifest.log").stat().st_size == sizes[-1]
    again = Manifest(tmp_path)
    assert len(again.data["documents"]) == 200 and again.data["documents"]["doc7"] == _entry(7)


def test_an_entry_changed_in_place_or_removed_is_saved(tmp_path):
    m = Manifest(tmp_path)
    m.data["sheets"]["s1"] = {"path": "drive/s1.xlsx", "sharing": {"e@atu.edu.kz": "writer"}, "frozen": None}
    m.data["documents"]["d1"] = _entry(1)
    m.save()
    entry = Manifest(tmp_path).data["sheets"]["s1"]
    entry["frozen"] = {"snapshot": ".frozen/x.xlsx", "sha256": "ab"}  # as freeze() does it, on a later run
    entry["sharing"] = {"e@atu.edu.kz": "reader"}
    later = Manifest(tmp_path)
    assert later.data["sheets"]["s1"]["frozen"] is None  # not saved yet
    m2 = Manifest(tmp_path)
    m2.data["sheets"]["s1"]["frozen"] = {"snapshot": ".frozen/x.xlsx", "sha256": "ab"}
    del m2.data["documents"]["d1"]
    m2.save()
    final = Manifest(tmp_path).data
    assert final["sheets"]["s1"]["frozen"] == {"snapshot": ".frozen/x.xlsx", "sha256": "ab"}
    assert "d1" not in final["documents"]


def test_a_last_line_cut_short_by_a_crash_is_ignored(tmp_path):
    m = Manifest(tmp_path)
    m.data["documents"]["a"] = _entry(1)
    m.save()
    with open(tmp_path / "manifest.log", "ab") as log:
        log.write(b'{"part": "documents", "token": "b", "entry": {"path": "drive/b.do')
    assert list(Manifest(tmp_path).data["documents"]) == ["a"]


def test_a_damaged_line_inside_the_log_names_the_line(tmp_path):
    m = Manifest(tmp_path)
    m.data["documents"]["a"] = _entry(1)
    m.save()
    with open(tmp_path / "manifest.log", "ab") as log:
        log.write(b"not json\n")
        log.write(json.dumps({"part": "documents", "token": "c", "entry": _entry(3)}).encode() + b"\n")
    with pytest.raises(BackendError) as info:
        Manifest(tmp_path)
    assert "manifest.log" in str(info.value) and "line 2" in str(info.value) and "backup" in str(info.value)


def test_an_entry_in_the_log_missing_its_path_is_refused(tmp_path):
    (tmp_path / "manifest.log").write_text(
        json.dumps({"part": "documents", "token": "x", "entry": {"sha256": "0"}}) + "\n" + "\n", encoding="utf-8"
    )
    with pytest.raises(BackendError, match="documents entry 'x' lacks"):
        Manifest(tmp_path)


def test_a_long_log_is_folded_into_manifest_json(tmp_path):
    m = Manifest(tmp_path)
    n = 0
    while (tmp_path / "manifest.log").exists() or n == 0:
        m.data["documents"][f"doc{n}"] = _entry(n)
        m.save()
        n += 1
        assert n < 2000, "the log is never folded in"
    snapshot = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(snapshot["documents"]) == n  # everything, readable by anything that reads manifest.json
    m.data["documents"]["after"] = _entry(99999)
    m.save()
    assert len(Manifest(tmp_path).data["documents"]) == n + 1


def test_documents_put_by_a_job_are_known_to_the_next_run(tmp_path):
    drive = LocalDrive(tmp_path, Manifest(tmp_path))
    keys = [DocKey("atu-2027", "form01", 0, "FIT-IS", f"DER-{n:03d}") for n in range(30)]
    for key in keys:
        drive.put(key, ["intake"], f"form01_{key.subject}.docx", f"letter {key.subject}".encode())
    later = LocalDrive(tmp_path, Manifest(tmp_path))
    assert sorted(d.key.subject for d in later.documents()) == [k.subject for k in keys]
    again = later.put(keys[3], ["intake"], "form01_DER-003.docx", b"letter DER-003")
    assert not again.changed


def test_the_ledger_of_notices_survives_in_the_log_like_any_entry(tmp_path):
    """13 item 4: "intended" and "sent" are durable as soon as they are recorded, before compaction."""
    from pipelines.backends.local import ManifestLedger

    ledger = ManifestLedger(Manifest(tmp_path))
    ledger.record_message("share/s1/a@atu.kz", "intended")
    assert ManifestLedger(Manifest(tmp_path)).message_state("share/s1/a@atu.kz") == "intended"  # a new process
    ledger.record_message("share/s1/a@atu.kz", "sent")
    assert ManifestLedger(Manifest(tmp_path)).message_state("share/s1/a@atu.kz") == "sent"
