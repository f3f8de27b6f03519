"""pipelines.formats.documents: every template renders its contract, text survives escaping, form 02 has one
column per criterion, the variable check names what is missing, PDFs go through LibreOffice."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from pipelines.formats import documents as D

try:  # tests/ is on sys.path (rootdir-relative import, no tests/__init__.py) ...
    import document_contexts as C
except ImportError:  # ... or tests is a package
    from tests import document_contexts as C

CASES = [(kind, lang) for kind in D.KINDS for lang in D.LANGS]


def _render(kind, lang, ctx=None):
    return D.render(kind, lang, ctx if ctx is not None else C.context_for(kind, lang))


def _expected_strings(kind: str, ctx: dict) -> list[str]:
    """Exact strings the rendered document must contain."""
    out = [C.TRICKY_TITLE, ctx["edition_name"]]
    if kind == "form01":
        out += [
            ctx["application_id"],
            ctx["faculty"],
            ctx["department"],
            ctx["languages"],
            ctx["der_type"],
            ctx["link"],
            ctx["submitted_at"],
            ctx["head_of_department"],
            ctx["doc_date"],
            "Ү. ЖИЦДО-7.5.1-2025-04-01",
            *ctx["act_files"],
        ]
        out += ctx["justification"].split("\n")
        for a in ctx["authors"]:
            out += [a["name"], a["position"], a["contact"]]
    elif kind == "protocol_extract":
        out += [
            ctx["stage_title"],
            ctx["unit_name"],
            ctx["commission_kind"],
            ctx["meeting_date"],
            ctx["decision_text"],
            ctx["criteria_note"],
            ctx["regulation"],
            ctx["doc_date"],
        ]
        out += [m["name"] for m in ctx["members"]] + [m["role"] for m in ctx["members"]]
        for d in ctx["ders"]:
            out += [d["id"], d["title"], d["authors"], d["score"], str(d["raters"])]
        for d in ctx["decisions"]:
            out += [d["kind"], d["by"], d["at"], d["reason"]]
    elif kind == "form02":
        out += [ctx["expert_name"], ctx["unit_name"], ctx["doc_date"], "Ү. ЖИЦДО-7.5.1-2025-04-02"]
        out += [c["label"] for c in ctx["criteria"]]
        for r in ctx["rows"]:
            out += [r["title"], r["authors"], r["link"], r["total"]]
        out += ctx["notes"]
        out.append("1 – өте нашар, 10 – өте жақсы" if ctx["lang"] == "kk" else "1 – очень плохо, 10 – очень хорошо")
    elif kind == "final_protocol":
        out += [ctx["chair"], ctx["meeting_date"], ctx["regulation"], str(ctx["prize_places"])]
        out += [m["name"] for m in ctx["members"]]
        for r in ctx["ranking"]:
            out += [r["id"], r["title"], r["authors"], r["score"], f"{r['faculty']} / {r['department']}"]
        for w in ctx["winners"]:
            out += [w["place"], w["title"], w["score"]]
    elif kind == "results":
        out += [ctx["ceremony"], ctx["doc_date"], ctx["regulation"]]
        for r in ctx["ranking"]:
            out += [r["title"], r["authors"], r["score"]]
        for w in ctx["winners"]:
            out += [w["place"], w["title"], w["authors"], w["score"]]
    return out


TITLES = {
    ("form01", "kk"): "ІЛЕСПЕ ХАТ",
    ("form01", "ru"): "СОПРОВОДИТЕЛЬНОЕ ПИСЬМО",
    ("protocol_extract", "kk"): "ХАТТАМАДАН ҮЗІНДІ КӨШІРМЕ",
    ("protocol_extract", "ru"): "ВЫПИСКА ИЗ ПРОТОКОЛА",
    ("form02", "kk"): "БАҒАЛАУ ПАРАҒЫ",
    ("form02", "ru"): "ОЦЕНОЧНЫЙ ЛИСТ",
    ("final_protocol", "kk"): "ҚОРЫТЫНДЫ ХАТТАМА",
    ("final_protocol", "ru"): "ИТОГОВЫЙ ПРОТОКОЛ",
    ("results", "kk"): "БАЙҚАУ НӘТИЖЕЛЕРІ",
    ("results", "ru"): "РЕЗУЛЬТАТЫ КОНКУРСА",
    ("annex", "kk"): "ҚОСЫМША",
    ("annex", "ru"): "ПРИЛОЖЕНИЕ",
}


@pytest.mark.parametrize("kind,lang", CASES)
def test_render_every_kind_and_language(kind, lang):
    ctx = C.context_for(kind, lang)
    data = _render(kind, lang, ctx)
    text = D.docx_text(data)  # python-docx opens it
    lines = text.split("\n")
    for s in _expected_strings(kind, ctx):
        assert s in text, f"{kind}.{lang}: {s!r} missing"
    assert C.TRICKY_TITLE in lines or any(C.TRICKY_TITLE in line for line in lines)
    assert TITLES[(kind, lang)] in lines
    assert "{{" not in text and "{%" not in text and "}}" not in text
    # the title went into the XML escaped, and the part is well-formed
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "Python &amp; &lt;Data&gt;" in xml
    # A4
    sec = Document(io.BytesIO(data)).sections[0]
    assert {round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)} == {21.0, 29.7}


@pytest.mark.parametrize("kind,lang", CASES)
def test_template_variables_within_contract(kind, lang):
    used = D.template_variables(kind, lang)
    assert used, f"{kind}.{lang} uses no variables"
    assert used <= D.CONTEXT_KEYS[kind], f"{kind}.{lang} uses keys outside its contract: {used - D.CONTEXT_KEYS[kind]}"
    # and every key the code fills for this kind alone is printed by it (a tag lost in an edit shows here)
    lost = D.CONTEXT_KEYS[kind] - D.COMMON_KEYS - D.OFFERED_KEYS - used
    assert not lost, f"{kind}.{lang} no longer prints {sorted(lost)}"


@pytest.mark.parametrize("kind", D.KINDS)
def test_sample_contexts_match_the_contract(kind):
    for lang in D.LANGS:
        assert set(C.context_for(kind, lang)) == set(D.CONTEXT_KEYS[kind])
        assert D.COMMON_KEYS <= D.CONTEXT_KEYS[kind]


@pytest.mark.parametrize("kind", D.KINDS)
def test_missing_key_raises_naming_it_and_the_template(kind):
    for key in sorted(D.template_variables(kind, "kk")):
        ctx = C.context_for(kind, "kk")
        del ctx[key]
        with pytest.raises(D.DocumentError) as exc:
            D.render(kind, "kk", ctx)
        msg = str(exc.value)
        assert key in msg and f"{kind}.kk.docx" in msg


def test_missing_keys_all_named():
    ctx = C.form01("ru")
    for key in ("title", "authors", "link"):
        del ctx[key]
    with pytest.raises(D.DocumentError, match="authors, link, title"):
        D.render("form01", "ru", ctx)


def _scores_table(data: bytes):
    doc = Document(io.BytesIO(data))
    return doc, doc.tables[0]


def _grid(table) -> list[int]:
    return [int(gc.get(qn("w:w"))) for gc in table._tbl.tblGrid.findall(qn("w:gridCol"))]


@pytest.mark.parametrize("lang", D.LANGS)
@pytest.mark.parametrize("n", [7, 3, 1, 10])
def test_form02_one_column_per_criterion(lang, n):
    ctx = C.form02(lang, n_criteria=n)
    data = D.render("form02", lang, ctx)
    doc, table = _scores_table(data)
    ncols = 4 + n + 1  # №, title, authors, link | criteria 1..n | n+1 the sum (form 02 as approved)
    grid = _grid(table)
    assert len(grid) == ncols
    header = [c.text for c in table.rows[0].cells]
    assert header[4 : 4 + n] == [c["label"] for c in ctx["criteria"]]
    numbers = [c.text for c in table.rows[1].cells]
    assert numbers[4:] == [str(i) for i in range(1, n + 2)]
    body = table.rows[2:]
    assert len(body) == len(ctx["rows"])
    for row, r in zip(body, ctx["rows"]):
        cells = [c.text for c in row.cells]
        assert len(row._tr.tc_lst) == ncols
        assert cells == [str(r["n"]), r["title"], r["authors"], r["link"], *r["scores"], r["total"]]
    # widths: the table spans the text width; criteria columns equal and narrower than the title
    sec = doc.sections[0]
    text_width = int((sec.page_width - sec.left_margin - sec.right_margin) / 635)
    assert sum(grid) == text_width
    scores = grid[4 : 4 + n]
    assert max(scores) - min(scores) <= 1
    assert grid[1] > scores[0]
    for tr in table._tbl.tr_lst:  # each cell's own width agrees with the grid (LibreOffice reads both)
        widths = [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in tr.tc_lst]
        assert widths == grid


def test_form02_landscape():
    sec = Document(io.BytesIO(_render("form02", "kk"))).sections[0]
    assert sec.page_width > sec.page_height


@pytest.mark.parametrize("lang,none", [("kk", "жоқ."), ("ru", "нет.")])
def test_empty_decisions_and_selection_print_none(lang, none):
    ctx = C.protocol_extract(lang, stage=2)
    ctx["decisions"], ctx["selected"] = [], []
    lines = D.docx_text(D.render("protocol_extract", lang, ctx)).split("\n")
    assert lines.count(none) == 2
    ctx = C.final_protocol(lang)
    assert ctx["decisions"] == []
    assert none in D.docx_text(D.render("final_protocol", lang, ctx)).split("\n")


def test_empty_head_and_attachments():
    ctx = C.form01("kk")
    ctx["head_of_department"], ctx["act_files"] = "", []
    text = D.docx_text(D.render("form01", "kk", ctx))
    assert "Кафедра меңгерушісі" in text and "ұсынылмаған" in text


def test_results_without_ceremony():
    ctx = C.results("ru")
    ctx["ceremony"] = ""
    assert "Церемония награждения" not in D.docx_text(D.render("results", "ru", ctx))


def test_signature_line_for_every_author_and_member():
    ctx = C.form01("ru")
    ctx["authors"].append({"name": "Ким Виктор Алексеевич", "position": "доцент", "contact": "v.kim@atu.edu.kz"})
    lines = D.docx_text(D.render("form01", "ru", ctx)).split("\n")
    assert lines.count("Автор ЦОР") == 3 and lines.count("Заведующий кафедрой") == 1
    assert lines.count("Ким Виктор Алексеевич") == 2  # authors table + signature line
    ctx = C.final_protocol("ru")
    lines = D.docx_text(D.render("final_protocol", "ru", ctx)).split("\n")
    assert sum(line.strip() == "(подпись)" for line in lines) == len(ctx["signers"])  # chair, secretary, members


def test_newlines_and_control_characters():
    ctx = C.form01("ru")
    ctx["justification"] = "Первая строка\r\nВторая строка\x0bТретья\x00\x1f строка"
    ctx["title"] = "Tab\there & \x07bell"
    data = D.render("form01", "ru", ctx)
    lines = D.docx_text(data).split("\n")
    assert "Вторая строка" in lines and "Третья строка" in lines
    assert any(line.endswith("Первая строка") for line in lines)
    assert any("Tab\there & bell" in line for line in lines)


def test_template_path_and_override(tmp_path, monkeypatch):
    assert D.template_path("form01", "kk").name == "form01.kk.docx"
    assert D.template_path("form01", "kk").parent.name == "docx_templates"
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    assert D.template_path("results", "ru") == tmp_path / "results.ru.docx"
    with pytest.raises(D.DocumentError, match="not found"):
        D.render("results", "ru", C.results("ru"))
    # a staff-edited copy in the override folder is used
    src = Path(__file__).resolve().parent.parent / "docx_templates" / "results.ru.docx"
    shutil.copy(src, tmp_path / "results.ru.docx")
    assert "РЕЗУЛЬТАТЫ КОНКУРСА" in D.docx_text(D.render("results", "ru", C.results("ru")))


def test_unknown_kind_or_language():
    with pytest.raises(D.DocumentError, match="unknown document kind"):
        D.template_path("form03", "kk")
    with pytest.raises(D.DocumentError, match="unknown document language"):
        D.template_path("form01", "en")


def test_to_pdf_without_libreoffice(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(D.DocumentError) as exc:
        D.to_pdf(_render("results", "kk"))
    from pipelines import i18n

    # both languages before one is chosen; each alone where the edition's language is known
    assert "LibreOffice орнатылмаған" in str(exc.value) and "LibreOffice не установлен" in str(exc.value)
    assert i18n.error_text(exc.value, "ru").startswith("LibreOffice не установлен: чтобы получить PDF")
    assert "apt-get install libreoffice-writer-nogui" in i18n.error_text(exc.value, "kk")


@pytest.mark.needs_libreoffice
def test_to_pdf_with_libreoffice():
    pdf = D.to_pdf(_render("results", "kk"))
    assert pdf.startswith(b"%PDF")
