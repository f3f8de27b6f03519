"""The rating sheets stage 1 opened with, as their experts receive them on the local workspace."""

from __future__ import annotations

import email
from email import policy

from jobkit import workspace_dir
from openpyxl import load_workbook


def _messages(config_path):
    for path in sorted((workspace_dir(config_path) / "outbox").glob("*.eml")):
        yield email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_the_share_email_says_how_to_return_the_sheet(opened):
    sheets = list((workspace_dir(opened) / "drive").rglob("form02_*.xlsx"))
    assert sheets
    shared = {}
    for msg in _messages(opened):
        files = [p.get_filename() for p in msg.iter_attachments()]
        if files and files[0].startswith("form02_"):
            shared[files[0]] = msg.get_body(("plain",)).get_content()
    assert set(shared) == {p.name for p in sheets}  # every expert got their own sheet
    for name, body in shared.items():
        assert "Парақты қалай қайтару керек" in body and f"({name})" in body, body


def test_every_sheet_opened_has_the_experts_print_setup_and_instructions(opened):
    for path in (workspace_dir(opened) / "drive").rglob("form02_*.xlsx"):
        ws = load_workbook(path).worksheets[0]
        # fitted to one page wide, or (when that would print below 8 pt) a fixed scale, two pages wide
        setup = ws.page_setup
        assert setup.orientation == "landscape" and (setup.fitToWidth == 1 or (setup.scale and setup.scale >= 50))
        assert "сол атпен сақтап" in ws["A6"].value
        links = [c for row in ws.iter_rows(min_row=9) for c in row if c.hyperlink is not None]
        assert links and all(c.hyperlink.target == str(c.value).strip() for c in links)
