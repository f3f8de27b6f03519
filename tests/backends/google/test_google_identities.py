"""The fake as an expert sees Google: their own token, the sheet's protection enforced, typed
numbers parsed in the spreadsheet's locale."""

from __future__ import annotations

import google_auth_httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from pipelines.ports import a1

EXPERT = "e.zhumabayev@atu.edu.kz"  # the expert of the `spec` fixture (conftest.py)


def _as(fake, email):
    http = google_auth_httplib2.AuthorizedHttp(Credentials(token=fake.token_for(email)), http=fake.http())
    return build("sheets", "v4", http=http, static_discovery=True, cache_discovery=False)


def _type(sheets, sid, cell, value):
    body = {"values": [[value]]}
    sheets.spreadsheets().values().update(
        spreadsheetId=sid, range=cell, valueInputOption="USER_ENTERED", body=body
    ).execute()


def test_the_expert_may_type_scores_only_and_nothing_once_frozen(ws, fake, spec):
    ref = ws.sheets.ensure(spec)
    (r, c) = spec.grid.editable_cells()[0]
    expert = _as(fake, EXPERT)
    _type(expert, ref.id, a1(r, c), "8")  # a yellow cell: allowed
    assert ws.sheets.read(ref)[r][c].value == 8
    with pytest.raises(HttpError) as refused:
        _type(expert, ref.id, "A1", "my own title")  # the sheet's heading is protected
    assert refused.value.resp.status == 400 and "protected cell" in str(refused.value)
    with pytest.raises(HttpError) as hidden:
        _type(_as(fake, "someone.else@atu.edu.kz"), ref.id, a1(r, c), "1")  # no access
    # Sheets answers a spreadsheet not shared with the caller 403 PERMISSION_DENIED (recorded by
    # gspread: tests/cassettes/ClientTest.test_access_private_spreadsheet.json); Drive would say 404
    assert hidden.value.resp.status == 403 and "The caller does not have permission" in str(hidden.value)
    ws.sheets.freeze(ref)
    with pytest.raises(HttpError) as frozen:
        _type(expert, ref.id, a1(r, c), "2")
    assert frozen.value.resp.status == 403
    assert ws.sheets.read(ref)[r][c].value == 8


def test_a_warning_only_protection_lets_the_writer_through(ws, fake, spec):
    ref = ws.sheets.ensure(spec)
    for pr in fake.spreadsheet_model(ref.id).sheets[0].protected_ranges:
        pr["warningOnly"] = True
    _type(_as(fake, EXPERT), ref.id, "A1", "changed")
    assert fake.sheet_values(ref.id, "A1") == [["changed"]]


@pytest.mark.parametrize(
    ("locale", "typed", "kept"),
    [
        ("ru_RU", "7,5", 7.5),
        ("kk_KZ", "10 ", 10),
        ("ru_RU", "7.5", "7.5"),
        ("en_US", "7.5", 7.5),
        ("en_US", "7,5", "7,5"),
    ],
)
def test_typed_numbers_are_parsed_in_the_spreadsheets_locale(ws, fake, spec, locale, typed, kept):
    ref = ws.sheets.ensure(spec)
    fake.spreadsheet_model(ref.id).properties["locale"] = locale
    (r, c) = spec.grid.editable_cells()[0]
    _type(_as(fake, EXPERT), ref.id, a1(r, c), typed)
    assert ws.sheets.read(ref)[r][c].value == kept
