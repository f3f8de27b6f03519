"""Cassettes (pipelines/backends/google/cassette.py): what Google answered, replayed against the fake.

Every cassette under tests/cassettes/ is replayed request by request against a fresh fake, and any
difference of status, of error reason, or of a field the product reads (the fields of each answer:
the product asks for exactly those with `fields=`) fails the test. A cassette recorded on the real
account (docs/google-setup.md, "Recording a cassette") thus tightens the fake: wherever the fake
answers otherwise than Google did, this test says where.

Ids differ between the recording and the replay: the replay learns the fake's id for each id the
recording holds (from the answers to creates and to files.generateIds) and puts it in the later
requests. The shared drive and the form the recording used are made on the fake first.

To write the fake's own cassette again: PREFLIGHT_WRITE_CASSETTE=1 .venv/bin/python -m pytest -q
tests/backends/google/test_google_cassettes.py -k fresh
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from google_fake import FakeGoogle
from google_fake.demo import fake_workspace, google_config
from pipelines.backends.google.cassette import FORMAT, Recorder
from pipelines.backends.google.preflight import google_preflight
from pipelines.jobs.common import Run
from pipelines.jobs.preflight import run_preflight

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
FAKE_CASSETTE = CASSETTES / "preflight-fake.json"
ID_KEYS = {"id", "spreadsheetId", "permissionId", "responseId", "formId"}
VALUE_KEYS = {"role", "mimeType", "name", "trashed", "title"}
QUESTION_KINDS = {
    "fileUploadQuestion": "file",
    "dateQuestion": "date",
    "timeQuestion": "time",
    "scaleQuestion": "scale",
}


def record_on_fake(base_config) -> dict[str, Any]:
    """The preflight (with --mail) on a fake with a shared drive and a form of one response."""
    fake = FakeGoogle(seed=11, service_account_without_storage=True)
    drive = fake.create_shared_drive("DER contest")
    form = fake.add_form("DER contest", [("1a2b0000", "3. Название ЦОР с указанием дисциплины", "text")])
    fake.add_response(form, {"1a2b0000": "Python"}, respondent_email="applicant@atu.edu.kz")
    config = google_config(
        base_config,
        shared_drive_id=drive,
        form_id=form,
        cdb_editors=["cdb.secretary@atu.edu.kz"],
        gmail=True,
        sender="cdb@atu.edu.kz",
    )
    recorder = Recorder()
    ws = fake_workspace(config, fake, recorder=recorder)
    outcome = run_preflight(
        run=Run(config=config, workspace=ws, now=config.calendar.intake_open),
        probe=google_preflight(ws),
        mail=True,
        say=lambda _: None,
    )
    assert outcome.failed is None
    cassette = recorder.cassette(config)
    cassette["recorded_with"] = (
        "contest preflight --mail, on google_fake (tests/backends/google/test_google_cassettes.py)"
    )
    cassette["recorded_at"] = "fake"
    return cassette


# --- replay ---------------------------------------------------------------------------------------
def _setup(fake: FakeGoogle, cassette: dict[str, Any]) -> dict[str, str]:
    """The shared drive and the form the recording used, made on the fake: recorded id -> fake id."""
    ids: dict[str, str] = {}
    setup = cassette.get("setup") or {}
    for key in ("shared_drive_id", "root_folder_id"):
        if setup.get(key):
            made = fake.create_shared_drive("replayed") if key == "shared_drive_id" else fake.create_folder("replayed")
            ids[setup[key]] = made
    form = setup.get("form") or {}
    if form.get("form_id"):
        got = next(
            (
                i["response"]
                for i in cassette["interactions"]
                if i["method"] == "GET"
                and urlsplit(i["uri"]).path.endswith("/forms/" + form["form_id"])
                and i["status"] == 200
            ),
            {"info": {"title": "replayed"}, "items": []},
        )
        questions = []
        for item in got.get("items", []):
            q = (item.get("questionItem") or {}).get("question")
            if q:
                kind = next((v for k, v in QUESTION_KINDS.items() if k in q), "text")
                questions.append((q["questionId"], item.get("title", ""), kind))
        made_form = fake.add_form(got.get("info", {}).get("title", "replayed"), questions)
        ids[form["form_id"]] = made_form
        listed = next(
            (
                i["response"]
                for i in cassette["interactions"]
                if urlsplit(i["uri"]).path.endswith("/responses") and i["status"] == 200
            ),
            {},
        )
        for r in listed.get("responses", []):
            fake.add_response(made_form, {}, respondent_email=r.get("respondentEmail"))
    return ids


def _swap(text: str, ids: dict[str, str]) -> str:
    for old in sorted(ids, key=len, reverse=True):
        text = text.replace(old, ids[old])
    return text


def _learn(recorded: Any, replayed: Any, ids: dict[str, str]) -> None:
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for k, v in recorded.items():
            w = replayed.get(k)
            if k in ID_KEYS and isinstance(v, str) and isinstance(w, str) and v != w:
                ids.setdefault(v, w)
            elif k == "ids" and isinstance(v, list) and isinstance(w, list):
                for a, b in zip(v, w):
                    ids.setdefault(a, b)
            else:
                _learn(v, w, ids)


def _paths(value: Any, prefix: str = "") -> set[str]:
    """Every leaf path of an answer (list items merged as [])."""
    if isinstance(value, dict):
        return set().union(*(_paths(v, f"{prefix}.{k}" if prefix else k) for k, v in value.items())) if value else set()
    if isinstance(value, list):
        return set().union(*(_paths(v, prefix + "[]") for v in value)) if value else set()
    return {prefix}


def _values(value: Any, prefix: str = "") -> dict[str, Any]:
    """The values compared as they are: roles, mime types, names, appProperties (outside lists,
    whose order the two may not share)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            if k in VALUE_KEYS or k == "appProperties":
                out[path] = v
            elif isinstance(v, dict):
                out.update(_values(v, path))
    return out


def _reason(body: Any) -> str:
    err = body.get("error", {}) if isinstance(body, dict) else {}
    reasons = [e.get("reason") for e in err.get("errors") or []] + [err.get("status")]
    return next((r for r in reasons if r), "")


def replay(cassette: dict[str, Any]) -> list[str]:
    """Differences between the recording's answers and a fresh fake's, one line each."""
    assert cassette.get("format") == FORMAT
    fake = FakeGoogle(seed=5, service_account_without_storage=True)
    ids = _setup(fake, cassette)
    problems: list[str] = []
    for n, step in enumerate(cassette["interactions"]):
        uri = _swap(step["uri"], ids)
        body = step.get("body")
        headers = {"content-type": step.get("content_type") or "application/json"}
        if body is None:
            data = b""
        elif isinstance(body, dict) and set(body) == {"base64"}:
            data = _swap(base64.b64decode(body["base64"]).decode("latin-1"), ids).encode("latin-1")
        else:
            data = _swap(json.dumps(body, ensure_ascii=False), ids).encode("utf-8")
        status, _, content = fake.handle(step["method"], uri, headers, data, "http")
        where = f"#{n} {step['method']} {urlsplit(step['uri']).path}"
        if status != step["status"]:
            problems.append(f"{where}: status {status}, recorded {step['status']}")
            continue
        recorded = step.get("response")
        try:
            got = json.loads(content) if content else None
        except ValueError:
            got = {"bytes": len(content), "head": content[:8].decode("latin-1")}
        if isinstance(recorded, dict) and "head" in recorded and set(recorded) == {"bytes", "head"}:
            if not (isinstance(got, dict) and str(got.get("head", ""))[:4] == recorded["head"][:4]):
                problems.append(f"{where}: answer starts {str(got)[:20]!r}, recorded {recorded['head'][:4]!r}")
            continue
        if status >= 400:
            if _reason(got) != _reason(recorded):
                problems.append(f"{where}: reason {_reason(got)!r}, recorded {_reason(recorded)!r}")
            continue
        if step["method"] != "GET" or "generateIds" in step["uri"]:
            _learn(recorded, got, ids)
        if _paths(got) != _paths(recorded):
            problems.append(
                f"{where}: fields {sorted(_paths(got) ^ _paths(recorded))} differ (fake has "
                f"{sorted(_paths(got) - _paths(recorded))}, recorded {sorted(_paths(recorded) - _paths(got))})"
            )
        mine, theirs = _values(got), _values(recorded)
        for path in sorted(set(mine) & set(theirs)):
            if json.loads(_swap(json.dumps(theirs[path], ensure_ascii=False), ids)) != mine[path]:
                problems.append(f"{where}: {path} = {mine[path]!r}, recorded {theirs[path]!r}")
    return problems


# --- the tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.json")), ids=lambda p: p.name)
def test_every_cassette_replays_on_the_fake_without_a_difference(path):
    cassette = json.loads(path.read_text(encoding="utf-8"))
    assert len(cassette["interactions"]) >= 20
    assert replay(cassette) == []


def test_the_cassettes_folder_holds_the_fakes_recording():
    assert FAKE_CASSETTE.exists()


def test_a_fresh_recording_replays_and_holds_no_credentials_or_personal_data(base_config):
    cassette = record_on_fake(base_config)
    if os.environ.get("PREFLIGHT_WRITE_CASSETTE"):
        FAKE_CASSETTE.parent.mkdir(exist_ok=True)
        FAKE_CASSETTE.write_text(json.dumps(cassette, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert replay(cassette) == []
    text = json.dumps(cassette, ensure_ascii=False)
    assert "atu.edu.kz" not in text and "gserviceaccount.com" not in text  # every address masked
    assert "Bearer" not in text and "authorization" not in text.lower() and "token" not in text.split('"setup"')[0]
    assert "Python" not in text  # the applicant's answer
    for step in cassette["interactions"]:  # inside what is encoded too: uploads, the mail
        body = step.get("body") or {}
        for encoded, decode in ((body.get("base64"), base64.b64decode), (body.get("raw"), base64.urlsafe_b64decode)):
            if encoded:
                inner = decode(encoded + "=" * (-len(encoded) % 4)).decode("latin-1")
                assert "atu.edu.kz" not in inner
                if decode is base64.urlsafe_b64decode:  # the mail: its From and To masked, not dropped
                    assert inner.count("@example.org") >= 2
    methods = {(i["method"], urlsplit(i["uri"]).path.rsplit("/", 1)[-1]) for i in cassette["interactions"]}
    assert ("POST", "send") in methods and ("GET", "export") in methods


def test_replay_finds_a_different_status_and_a_missing_field(base_config):
    cassette = record_on_fake(base_config)
    created = next(
        i
        for i in cassette["interactions"]
        if i["method"] == "POST" and i["status"] == 200 and isinstance(i["response"], dict) and "id" in i["response"]
    )
    created["response"]["webViewLink"] = "https://drive.google.com/…"  # a field Google gave and the fake not
    share = next(
        i
        for i in cassette["interactions"]
        if urlsplit(i["uri"]).path.endswith("/permissions") and i["method"] == "POST"
    )
    share["status"], share["response"] = 400, {"error": {"code": 400, "errors": [{"reason": "invalidSharingRequest"}]}}
    problems = replay(cassette)
    assert any("webViewLink" in p for p in problems)
    assert any("/permissions" in p and "status 200, recorded 400" in p for p in problems)
