"""Documents rendered by docxtpl read back as written: python-docx opens them, their text shows the
values as typed, one proofing language, the document properties in the document's language.
Checked on contexts the way people fill them in a hurry (pasted line breaks and tabs, control
characters, empty and long lists, quotes and markup in titles), not only the samples, and on
templates CDB staff edited (tags in a header, tags in the document properties)."""

from __future__ import annotations

import copy
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document

from pipelines.formats import documents as D
from pipelines.formats.digest import content_digest

try:
    import document_contexts as C
except ImportError:  # run from the repository root without tests/ on the path
    from tests import document_contexts as C

TEMPLATES = Path(__file__).resolve().parent.parent / "docx_templates"


def _hurried_form01(lang: str) -> list[dict]:
    base = C.form01(lang)
    typed = copy.deepcopy(base)
    typed.update(
        title="  Деректер қоры:\r\nSQL & <NoSQL>\t(2-бөлім) “жаңа” — ‘нұсқа’ 🙂\x0bсоңы\x07",
        authors=[
            {"name": "Ли А.", "position": "", "contact": ""},
            {
                "name": "Сейтқали-Омарова Ә. Б.",
                "position": "аға оқытушы\t(0,5 ставка)",
                "contact": "a@b.kz; +7 (727) 1",
            },
        ]
        * 4,
        justification="Бірінші абзац.\n\nЕкінші абзац,\tтабуляциямен.\r\n• тізім\n• тағы\x0c",
        link="https://drive.google.com/file/d/1AbC/view?usp=sharing&x=<1>",
        act_files=[f"акт_{n}.PDF" for n in range(6)],
        certificate_files=["cert (1).jpg", "cert (2).jpg"],
        head_of_department="",
        edition_name="",
    )
    lone = copy.deepcopy(base)
    lone.update(authors=[], act_files=[], certificate_files=[], languages="", der_type="{{ not a tag }} {% if %}")
    return [base, typed, lone]


def _hurried_extract(lang: str) -> list[dict]:
    many = C.protocol_extract(lang, stage=2)
    many["ders"] = [
        {
            "rank": str(n) if n % 5 else "—",
            "id": f"DER-{n:04d}",
            "title": f"Курс {n}\nекінші жол" if n % 3 == 0 else f"Курс {n} & <b>",
            "authors": "; ".join(f"Автор {m}" for m in range(n % 4)),
            "score": f"{n},00" if n % 7 else "—",
            "raters": str(n % 4),
            "selected_mark": "✓" if n < 3 else "",
        }
        for n in range(1, 31)
    ]
    many["selected"] = [{k: d[k] for k in ("id", "title", "authors", "score")} for d in many["ders"][:2]]
    many["post_freeze_edits"] = [
        {
            "detected": "12.03.2027 09:00",
            "expert": "Иванов С. П.",
            "sheet": "stage-2 / IT",
            "revision": "17",
            "changes": "D5: 7 → 9\nE5: '' → 10",
        }
    ]
    none = C.protocol_extract(lang, stage=1)
    none.update(selected=[], decisions=[], reasoning=[], members=[], signers=[], ders=[])
    return [many, none]


def _hurried_form02(lang: str) -> list[dict]:
    out = []
    for n in (1, 3, 7, 10):
        ctx = C.form02(lang, n_criteria=n)
        for row in ctx["rows"]:
            row["scores"] = [s if i % 2 else f"{s}*" for i, s in enumerate(row["scores"])]
        ctx["notes"] = [] if n == 3 else ["1. 7,5 санау үшін бүтін сан емес", "2. «коммент»\tпікір\nекінші жол"]
        out.append(ctx)
    empty = C.form02(lang)
    empty["rows"] = []
    out.append(empty)
    return out


def _hurried_final(lang: str) -> list[dict]:
    full = C.final_protocol(lang)
    bare = copy.deepcopy(full)
    bare.update(winners=[], decisions=[], dossiers=[], post_freeze_edits=[], reasoning=["Бір сөйлем."])
    return [full, bare]


def _hurried_results(lang: str) -> list[dict]:
    full = C.results(lang)
    bare = copy.deepcopy(full)
    bare.update(ceremony="", winners=[], edition_name="Байқау & <2028>")
    return [full, bare]


CASES = [
    (kind, lang, n, ctx)
    for lang in D.LANGS
    for kind, made in (
        ("form01", _hurried_form01),
        ("protocol_extract", _hurried_extract),
        ("form02", _hurried_form02),
        ("final_protocol", _hurried_final),
        ("results", _hurried_results),
    )
    for n, ctx in enumerate(made(lang))
]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _read(data: bytes) -> dict:
    """What a reader of the document sees, through python-docx."""
    doc = Document(io.BytesIO(data))
    props = doc.core_properties
    w_lang = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lang"
    return {
        "text": D.docx_text(data),
        "tables": [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables],
        "styles": sorted((s.name or "", s.type or 0) for s in doc.styles),
        "langs": sorted({el.get(next(iter(el.attrib))) for el in doc.element.body.iter(w_lang)}),
        "props": (props.title, props.author, props.last_modified_by, props.language, props.comments),
        "sections": [(s.page_width, s.page_height, s.orientation) for s in doc.sections],
    }


@pytest.mark.parametrize(("kind", "lang", "n", "context"), CASES, ids=[f"{k}-{lang}-{n}" for k, lang, n, _c in CASES])
def test_a_hurried_context_reads_back(kind, lang, n, context):
    data = D.render(kind, lang, context)
    assert "word/document.xml" in _members(data) and "word/styles.xml" in _members(data)
    seen = _read(data)
    assert seen["langs"] == [D.LOCALES[lang]]  # every run in the document's language
    assert seen["props"][0].startswith(D.TITLES[kind][lang]) and seen["props"][3] == D.LOCALES[lang]
    text = seen["text"]
    shown = text.replace("{{ not a tag }} {% if %}", "")  # a DER type typed to look like tags (n == 2)
    assert "{{" not in shown and "{%" not in shown  # every tag of the template rendered
    assert not D.UNSTORABLE.search(text)
    if kind == "form01" and n == 1:  # the typed title: markup printed as text, the tab kept, controls gone
        assert "SQL & <NoSQL>\t(2-бөлім) “жаңа” — ‘нұсқа’ 🙂" in text and "соңы" in text
        assert "Екінші абзац,\tтабуляциямен." in text.split("\n")
    if kind == "form01" and n == 2:
        assert "{{ not a tag }} {% if %}" in text  # a value that looks like a tag is printed, not run
    if kind == "protocol_extract" and n == 0:
        assert "Курс 1 & <b>" in text and "DER-0030" in text
    if kind == "results" and n == 1:
        assert seen["props"][0].endswith("«Байқау & <2028>»")


def test_the_same_context_gives_the_same_content():
    # so that a document made again from changed inputs but with the same content is left as it is
    context = C.form01("ru")
    same = content_digest(D.render("form01", "ru", copy.deepcopy(context)))
    assert content_digest(D.render("form01", "ru", context)) == same
    other = {**context, "title": "Другое название"}
    assert content_digest(D.render("form01", "ru", other)) != same


def test_documents_of_two_editions_keep_their_own_titles():
    first, second = C.results("kk"), {**C.results("kk"), "edition_name": "Екінші байқау"}
    for _ in range(2):
        for ctx in (first, second):
            title = Document(io.BytesIO(D.render("results", "kk", ctx))).core_properties.title
            assert title.endswith(f"«{ctx['edition_name']}»")


def _edit_template(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(TEMPLATES / name, target)
    return target


def test_tags_in_the_document_properties_are_rendered(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = _edit_template(tmp_path, "results.ru.docx")
    doc = Document(str(target))
    doc.core_properties.subject = "Итоги: {{ edition_name }}"
    doc.save(str(target))
    ctx = C.results("ru")
    data = D.render("results", "ru", ctx)
    assert Document(io.BytesIO(data)).core_properties.subject == f"Итоги: {ctx['edition_name']}"


def test_an_edited_header_with_and_without_tags(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = _edit_template(tmp_path, "form01.kk.docx")
    doc = Document(str(target))
    header = doc.sections[0].header
    header.paragraphs[0].text = "Өтінім {{ application_id }}\tбет"  # CDB staff put the id in the header
    doc.sections[0].footer.paragraphs[0].text = "Тұрақты төменгі колонтитул\tбет"
    doc.save(str(target))
    ctx = C.form01("kk")
    data = D.render("form01", "kk", ctx)
    assert f"Өтінім {ctx['application_id']}" in D.docx_text(data)
    assert "Тұрақты төменгі колонтитул" in D.docx_text(data)


def test_a_render_error_names_the_template(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = _edit_template(tmp_path, "results.kk.docx")
    doc = Document(str(target))
    doc.add_paragraph("{{ ceremony.place.name }}")  # the ceremony is a text: an error only when rendering
    doc.save(str(target))
    with pytest.raises(D.DocumentError, match="results.kk.docx failed to render"):
        D.render("results", "kk", C.results("kk"))


def test_a_template_saved_without_document_properties_still_gets_them(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    with zipfile.ZipFile(TEMPLATES / "form02.kk.docx") as src, zipfile.ZipFile(tmp_path / "form02.kk.docx", "w") as out:
        for item in src.infolist():  # a program that writes no docProps/core.xml
            data = src.read(item)
            if item.filename == "docProps/core.xml":
                continue
            if item.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = re.sub(rb"<(Relationship|Override)[^>]*core[^>]*/>", b"", data)
            out.writestr(item, data)
    ctx = C.form02("kk")
    props = Document(io.BytesIO(D.render("form02", "kk", ctx))).core_properties
    assert props.title == f"{D.TITLES['form02']['kk']} — «{ctx['edition_name']}»" and props.language == "kk-KZ"


def test_a_tag_error_in_an_edited_header_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_TEMPLATES", str(tmp_path))
    target = _edit_template(tmp_path, "protocol_extract.ru.docx")
    doc = Document(str(target))
    doc.sections[0].header.paragraphs[0].text = "Протокол {{ protocol_number | broken( }}"
    doc.save(str(target))
    with pytest.raises(D.DocumentError, match="protocol_extract.ru.docx has a tag error"):
        D.render("protocol_extract", "ru", C.protocol_extract("ru"))


# --- headings stay with what they head (LibreOffice's page breaks) -----------------------------
HEADING_STYLES = {"Section Heading", "Doc Title", "Doc Subtitle"}
FREEZE_EDIT = {"detected": "06.03.2027", "expert": "Ли Ольга", "sheet": "form02_s1", "revision": "7", "changes": "—"}


def _heading(p) -> bool:
    """A heading by its style, or a short numbered line in bold («3. Әр сарапшының бағалары»)."""
    text = p.text.strip()
    bold = [r.bold for r in p.runs if r.text.strip()]
    numbered = bool(re.match(r"\d+\.\s", text)) and len(text) < 90 and bool(bold) and all(bold)
    return bool(text) and (p.style.name in HEADING_STYLES or numbered)


def _left_at_a_foot(data: bytes) -> list[str]:
    """Headings a page may end on: one not kept with the next paragraph on the paragraph itself
    (LibreOffice does not keep it when only its style says so), and a table's lead-in between a
    heading and the table, not kept with the table (the heading and it were left at a page's foot)."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    doc = Document(io.BytesIO(data))
    body = list(doc.element.body.iterchildren())
    found = []
    for i, el in enumerate(body):
        if el.tag != qn("w:p") or not _heading(p := Paragraph(el, doc)):
            continue
        if not p.paragraph_format.keep_with_next:
            found.append(p.text)
        if i + 2 < len(body) and body[i + 1].tag == qn("w:p") and body[i + 2].tag == qn("w:tbl"):
            lead = Paragraph(body[i + 1], doc)
            if lead.text.strip() and not lead.paragraph_format.keep_with_next:
                found.append(f"{p.text} / {lead.text}")
    return found


@pytest.mark.parametrize("lang", D.LANGS)
@pytest.mark.parametrize("kind", D.KINDS)
def test_every_heading_is_kept_with_what_it_heads(kind, lang):
    context = C.context_for(kind, lang)
    if "post_freeze_edits" in context:  # the protocols' freeze annex: a heading, its lead-in, a table
        context["post_freeze_edits"] = [FREEZE_EDIT]
    data = D.render(kind, lang, context)
    assert [p for p in Document(io.BytesIO(data)).paragraphs if _heading(p)]
    assert _left_at_a_foot(data) == []
