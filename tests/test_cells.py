"""The one definition of the characters XML cannot hold (cells.UNSTORABLE), checked against lxml
(which writes and reads every .xlsx and .docx here), and what a cell keeps of a pasted answer."""

from __future__ import annotations

import io

import openpyxl
from lxml import etree

from pipelines.formats.cells import CELL_LIMIT, UNSTORABLE, escape_unstorable, fit


def fits(text: str) -> bool:
    """What a cell of either store holds whole (the rule `fit` keeps)."""
    return len(text) <= CELL_LIMIT and not UNSTORABLE.search(text)


def _xml_holds(ch: str) -> bool:
    try:
        element = etree.Element("c")
        element.text = f"a{ch}b"
        return etree.fromstring(etree.tostring(element)).text == f"a{ch}b"
    except (ValueError, UnicodeEncodeError, etree.XMLSyntaxError):
        return False


def test_unstorable_is_what_xml_cannot_hold_every_bmp_character_and_the_astral_edges():
    probes = [*range(0x10000), 0x10000, 0x1FFFE, 0x1FFFF, 0xEFFFF, 0x10FFFF]
    wrong = [hex(cp) for cp in probes if bool(UNSTORABLE.search(chr(cp))) == _xml_holds(chr(cp))]
    assert wrong == []


def test_a_pasted_answer_keeps_what_xml_holds_and_a_workbook_stores_it():
    typed = "Тақырып\x00\x07 \x7f\ufdd0 \U0001fffe соңы\x0bжол\ud800\ufffe"
    kept = fit(typed, keep=None)
    assert kept == "Тақырып \x7f\ufdd0 \U0001fffe соңы\nжол"  # DEL and the other non-characters are XML
    assert fits(kept) and not fits(typed)
    book = openpyxl.Workbook()
    book.active["A1"] = kept
    buf = io.BytesIO()
    book.save(buf)
    assert openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active["A1"].value == kept


def test_escaped_json_loads_back_to_the_answer_and_fits_a_cell():
    import json

    answer = {"title": "a\x00b\ud83d"}
    text = escape_unstorable(json.dumps(answer, ensure_ascii=False))
    assert fits(text) and json.loads(text) == answer


def test_a_long_answer_is_cut_with_a_note_naming_where_it_is_kept():
    cut = fit("я" * (CELL_LIMIT + 10), keep=lambda whole: f"kept/{len(whole)}.txt")
    assert len(cut) <= CELL_LIMIT and cut.endswith(f"kept/{CELL_LIMIT + 10}.txt]")
