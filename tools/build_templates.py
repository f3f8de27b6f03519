"""!!! DANGER: this script OVERWRITES the Word templates CDB staff have edited. !!!

A one-off generator, kept as history and for starting over; it is NOT part of the product (it lives
outside the `pipelines` package and the wheel). It wrote the first versions of the docxtpl templates
in docx_templates/ (regulation АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04). Since then the .docx files are the source
of truth: staff restyle them in Word or LibreOffice (fonts, widths, wording), and the code only fills
their tags. Running this script again replaces every one of their edits with the 2025 originals.

    python tools/build_templates.py OUTDIR             # writes into an empty or new folder
    python tools/build_templates.py --force [OUTDIR]   # overwrites templates that exist (default OUTDIR:
                                                       # docx_templates/) — only to start over, on purpose

Without --force it refuses to replace any existing template and writes nothing.
tests/test_build_templates.py builds them into a temporary folder and checks them against the
documents' contract (pipelines/formats/documents.py CONTEXT_KEYS), so the generator stays a working one.

Rules for whoever edits a template (docxtpl, docs/google.md "Templates"):
- ``{{ name }}`` prints a value; keep a tag in one piece of formatting if you can (docxtpl repairs
  tags that Word split across runs, but not tags that lost a brace).
- A paragraph holding ``{%p … %}``, a table row holding ``{%tr … %}`` and a table cell holding
  ``{%tc … %}`` is replaced by its tag as a whole: keep those tags alone in their paragraph, row or
  cell, one tag each. They are printed in small grey type so they stand out; they vanish on render.
- The variables a template may use are the context keys listed in ``pipelines/formats/documents.py``
  (``CONTEXT_KEYS``); ``pipelines.formats.documents.render`` refuses a template that asks for anything else.
- Use straight quotes inside tags: Word's "smart quotes" break the expression.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

TEMPLATES = Path(__file__).resolve().parents[1] / "docx_templates"
FONT = "Times New Roman"
LANGS = ("kk", "ru")

FORM01_CODE = "Ү. ЖИЦДО-7.5.1-2025-04-01"
FORM02_CODE = "Ү. ЖИЦДО-7.5.1-2025-04-02"
ORG = {"kk": "«Алматы технологиялық университеті» АҚ", "ru": "АО «Алматинский технологический университет»"}
SIGN = {"kk": "(қолы)", "ru": "(подпись)"}
NONE = {"kk": "жоқ", "ru": "нет"}
SIGN_LINE = "__________________"


# --------------------------------------------------------------------------- low-level helpers


def _fonts(rpr_owner, name: str = FONT) -> None:
    """Set the font for Latin, Cyrillic (hAnsi), complex and East-Asian text alike."""
    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), name)


def _style(
    doc,
    name,
    *,
    base="Normal",
    size=None,
    bold=None,
    italic=None,
    align=None,
    before=None,
    after=None,
    keep_next=None,
    color=None,
    kind=WD_STYLE_TYPE.PARAGRAPH,
):
    styles = doc.styles
    st = styles[name] if name in [s.name for s in styles] else styles.add_style(name, kind)
    if base and st.name != base:
        st.base_style = styles[base]
    st.quick_style = True
    if size:
        st.font.size = Pt(size)
    if bold is not None:
        st.font.bold = bold
    if italic is not None:
        st.font.italic = italic
    if color is not None:
        st.font.color.rgb = color
    pf = st.paragraph_format
    if align is not None:
        pf.alignment = align
    if before is not None:
        pf.space_before = Pt(before)
    if after is not None:
        pf.space_after = Pt(after)
    if keep_next is not None:
        pf.keep_with_next = keep_next
    return st


def _field(paragraph, instr: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) to a paragraph."""

    def el(tag, **attrs):
        e = OxmlElement(tag)
        for k, v in attrs.items():
            e.set(qn(k), v)
        return e

    for part in ("begin", "instr", "separate", "text", "end"):
        run = paragraph.add_run()
        if part == "instr":
            t = el("w:instrText")
            t.set(qn("xml:space"), "preserve")
            t.text = f" {instr} "
            run._r.append(t)
        elif part == "text":
            run.text = "1"
        else:
            run._r.append(
                el("w:fldChar", **{"w:fldCharType": {"begin": "begin", "separate": "separate", "end": "end"}[part]})
            )


# Word rejects elements out of the schema's order (LibreOffice does not care): the child order of
# the property elements this script touches, from ECMA-376 part 1 (wml.xsd).
_ORDER = {
    "pPr": [
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "framePr",
        "widowControl",
        "numPr",
        "suppressLineNumbers",
        "pBdr",
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    ],
    "trPr": [
        "cnfStyle",
        "divId",
        "gridBefore",
        "gridAfter",
        "wBefore",
        "wAfter",
        "cantSplit",
        "trHeight",
        "tblHeader",
        "tblCellSpacing",
        "jc",
        "hidden",
        "ins",
        "del",
        "trPrChange",
    ],
    "tcPr": [
        "cnfStyle",
        "tcW",
        "gridSpan",
        "hMerge",
        "vMerge",
        "tcBorders",
        "shd",
        "noWrap",
        "tcMar",
        "textDirection",
        "tcFitText",
        "vAlign",
        "hideMark",
        "headers",
        "cellIns",
        "cellDel",
        "cellMerge",
        "tcPrChange",
    ],
    "tblPr": [
        "tblStyle",
        "tblpPr",
        "tblOverlap",
        "bidiVisual",
        "tblStyleRowBandSize",
        "tblStyleColBandSize",
        "tblW",
        "jc",
        "tblCellSpacing",
        "tblInd",
        "tblBorders",
        "shd",
        "tblLayout",
        "tblCellMar",
        "tblLook",
        "tblCaption",
        "tblDescription",
        "tblPrChange",
    ],
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _put(parent, child) -> None:
    """Insert ``child`` into ``parent`` at its schema position, replacing an element of the same name."""
    order = _ORDER[_local(parent.tag)]
    name = _local(child.tag)
    for old in parent.findall(child.tag):
        parent.remove(old)
    later = set(order[order.index(name) + 1 :])
    for existing in parent:
        if _local(existing.tag) in later:
            existing.addprevious(child)
            return
    parent.append(child)


def _bottom_border(paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in {"w:val": "single", "w:sz": "6", "w:space": "1", "w:color": "auto"}.items():
        bottom.set(qn(k), v)
    bdr.append(bottom)
    _put(ppr, bdr)


def new_document(lang: str, code: str, *, landscape: bool = False):
    """An A4 document with the contest's styles, the organisation and document code in the header
    and page numbers in the footer."""
    doc = Document()
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
        sec.left_margin, sec.right_margin = Cm(2.0), Cm(1.5)
        sec.top_margin, sec.bottom_margin = Cm(1.5), Cm(1.5)
    else:
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.left_margin, sec.right_margin = Cm(3.0), Cm(1.5)
        sec.top_margin, sec.bottom_margin = Cm(2.0), Cm(2.0)
    sec.header_distance = sec.footer_distance = Cm(1.0)

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    _fonts(normal.element)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    # the document default (docDefaults) too, so that table styles and new styles inherit it
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rf = rpr_default.find(qn("w:rFonts"))
    if rf is not None:
        for attr in list(rf.attrib):
            del rf.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            rf.set(qn(attr), FONT)

    _style(doc, "Doc Title", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=2, keep_next=True)
    _style(doc, "Doc Subtitle", size=12, bold=False, align=WD_ALIGN_PARAGRAPH.CENTER, after=2, keep_next=True)
    _style(doc, "Section Heading", size=12, bold=True, before=8, after=3, keep_next=True)
    _style(doc, "Body Text Justified", size=12, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3)
    _style(doc, "Note Text", size=11, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=3, after=3)
    _style(doc, "Table Text", size=11)
    _style(doc, "Table Small", size=10)
    _style(doc, "Table Heading", size=10, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "Signature Caption", size=9, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, "Template Tag", size=8, color=RGBColor(0x80, 0x80, 0x80))

    header = sec.header
    hp = header.paragraphs[0]
    hp.text = ""
    hp.style = "Normal"  # the "Header" style's tab stops are set for US Letter
    text_width = sec.page_width - sec.left_margin - sec.right_margin
    hp.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    r = hp.add_run(f"{ORG[lang]}\t")
    r.font.size = Pt(10)
    r = hp.add_run(code)
    r.font.size = Pt(10)
    r.bold = True
    _bottom_border(hp)

    fp = sec.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(fp, "PAGE")
    fp.add_run(" / ")
    _field(fp, "NUMPAGES")
    for run in fp.runs:
        run.font.size = Pt(10)
    return doc


def para(container, *parts, style=None, align=None):
    """A paragraph of runs; a part is text or (text, "b"|"i"|"bi")."""
    p = container.add_paragraph(style=style)
    for part in parts:
        text, fmt = (part, "") if isinstance(part, str) else part
        run = p.add_run(text)
        run.bold = "b" in fmt or None
        run.italic = "i" in fmt or None
    if align is not None:
        p.alignment = align
    if style is not None and p.style.paragraph_format.keep_with_next:
        # on the paragraph itself too: LibreOffice does not keep a heading with the next paragraph
        # when only its style says so (a heading was left alone at the foot of a page)
        p.paragraph_format.keep_with_next = True
    return p


def tag(container, text: str):
    """A paragraph holding one ``{%p … %}`` tag (removed on render)."""
    return container.add_paragraph(text, style="Template Tag")


def field_line(doc, label: str, value: str):
    """ "1. Label: value" with the label in bold, justified."""
    return para(doc, (label + " ", "b"), value, style="Body Text Justified")


def _set_cell_width(cell, width_cm: float) -> None:
    cell.width = Cm(width_cm)


def _tr_pr(row):
    return row._tr.get_or_add_trPr()


def repeat_header(row) -> None:
    el = OxmlElement("w:tblHeader")
    _put(_tr_pr(row), el)


def cant_split(row) -> None:
    el = OxmlElement("w:cantSplit")
    _put(_tr_pr(row), el)


def row_height(row, cm: float, rule: str = "atLeast") -> None:
    el = OxmlElement("w:trHeight")
    el.set(qn("w:val"), str(int(cm * 567)))
    el.set(qn("w:hRule"), rule)
    _put(_tr_pr(row), el)


def vertical_text(cell) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    td = OxmlElement("w:textDirection")
    td.set(qn("w:val"), "btLr")
    _put(tcpr, td)


def cell_margins(table, cm: float = 0.1) -> None:
    """Narrow left/right cell padding so short headings fit narrow columns."""
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(cm * 567)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    _put(table._tbl.tblPr, mar)


def fixed_layout(table) -> None:
    table.autofit = False  # python-docx writes <w:tblLayout w:type="fixed"/> in its place


def set_cell(cell, text: str, style: str = "Table Text", align=None, bold=None):
    cell.text = ""
    p = cell.paragraphs[0]
    p.style = style
    if text.startswith(("{%tr", "{%tc")):
        p.style = "Template Tag"
        if text.startswith("{%tc"):
            vertical_text(cell)  # keeps the narrow tag cells readable in the template
    run = p.add_run(text)
    if bold is not None:
        run.bold = bold
    if align is not None:
        p.alignment = align
    return p


def table(
    doc,
    widths_cm,
    header=None,
    rows=(),
    *,
    grid=True,
    heading_style="Table Heading",
    text_style="Table Text",
    aligns=None,
    vertical=(),
    header_height=2.4,
):
    """A table with fixed column widths; ``header`` is repeated on every page; a row given as one
    string starting with ``{%tr`` becomes a tag row (tag in the first cell). Header cells whose
    index is in ``vertical`` are written bottom-to-top (narrow numeric columns)."""
    n = len(widths_cm)
    all_rows = ([header] if header else []) + list(rows)
    t = doc.add_table(rows=len(all_rows), cols=n)
    if grid:
        t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    fixed_layout(t)
    cell_margins(t)
    for i, w in enumerate(widths_cm):
        t.columns[i].width = Cm(w)
    for r_i, spec in enumerate(all_rows):
        row = t.rows[r_i]
        is_header = header is not None and r_i == 0
        if isinstance(spec, str):  # a {%tr …%} row: one cell across the table, so the tag reads
            merged = row.cells[0].merge(row.cells[n - 1]) if n > 1 else row.cells[0]
            set_cell(merged, spec)
            continue
        for c_i, text in enumerate(spec):
            cell = row.cells[c_i]
            _set_cell_width(cell, widths_cm[c_i])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            align = None
            if not is_header and aligns and aligns[c_i]:
                align = aligns[c_i]
            set_cell(cell, text, heading_style if is_header else text_style, align=align)
        if is_header:
            repeat_header(row)
            for c_i in vertical:
                vertical_text(row.cells[c_i])
            if vertical:
                row_height(row, header_height)
        else:
            cant_split(row)
    return t


def signature_table(doc, lang: str, rows, widths=(5.0, 4.5, 7.0), *, keep_together: bool = False):
    """Borderless signature block: role | ____ (signature) | name. ``rows`` items are
    (role, name) or a ``{%tr …%}`` tag string. ``keep_together``: every row is kept on the page of
    the next, so the block is not split and stays with the text before it."""
    t = doc.add_table(rows=0, cols=3)
    t.autofit = False
    fixed_layout(t)
    for i, w in enumerate(widths):
        t.columns[i].width = Cm(w)
    for spec in rows:
        row = t.add_row()
        cant_split(row)
        for c_i, w in enumerate(widths):
            _set_cell_width(row.cells[c_i], w)
        if isinstance(spec, str):
            set_cell(row.cells[0].merge(row.cells[2]), spec)
            continue
        role, name = spec
        row_height(row, 1.3)
        c0, c1, c2 = row.cells
        c0.vertical_alignment = c1.vertical_alignment = c2.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        set_cell(c0, role, "Normal")
        set_cell(c1, SIGN_LINE, "Normal", align=WD_ALIGN_PARAGRAPH.CENTER)
        c1.add_paragraph(SIGN[lang], style="Signature Caption")
        set_cell(c2, name, "Normal")
    if keep_together:
        for row in t.rows[:-1]:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True
    return t


# --------------------------------------------------------------------------- the documents

C = WD_ALIGN_PARAGRAPH.CENTER


def build_form01(lang: str):
    kk = lang == "kk"
    doc = new_document(lang, FORM01_CODE)
    para(doc, "ІЛЕСПЕ ХАТ" if kk else "СОПРОВОДИТЕЛЬНОЕ ПИСЬМО", style="Doc Title")
    para(
        doc,
        (
            "«{{ edition_name }}» байқауына қатысуға өтінім"
            if kk
            else "к заявке на участие в конкурсе «{{ edition_name }}»"
        ),
        style="Doc Subtitle",
    )
    para(
        doc,
        (
            "Өтінім № {{ application_id }}, берілген уақыты: {{ submitted_at }}"
            if kk
            else "Заявка № {{ application_id }}, подана: {{ submitted_at }}"
        ),
        style="Doc Subtitle",
    )
    para(doc, "")
    field_line(doc, "1. Факультет:", "{{ faculty }}")
    field_line(doc, "2. Кафедра:", "{{ department }}")
    field_line(
        doc,
        "3. Пәнді көрсете отырып, СББР атауы:" if kk else "3. Наименование ЦОР с указанием дисциплины:",
        "{{ title }}",
    )
    para(
        doc,
        ("4. Автор(лар) туралы мәліметтер:" if kk else "4. Сведения об авторе (авторах):", "b"),
        style="Body Text Justified",
    ).paragraph_format.keep_with_next = True
    table(
        doc,
        (0.8, 5.4, 4.8, 5.5),
        [
            "№",
            "Аты-жөні, тегі" if kk else "Фамилия, имя, отчество",
            "Лауазымы" if kk else "Должность",
            "Байланыс деректері" if kk else "Контактные данные",
        ],
        [
            "{%tr for a in authors %}",
            ["{{ loop.index }}", "{{ a.name }}", "{{ a.position }}", "{{ a.contact }}"],
            "{%tr endfor %}",
        ],
        aligns=(C, None, None, None),
    )
    para(doc, "")
    field_line(doc, "5. Оқыту тілі:" if kk else "5. Язык обучения:", "{{ languages }}")
    field_line(doc, "6. СББР түрі (тақырыптар саны):" if kk else "6. Вид ЦОР (количество тем):", "{{ der_type }}")
    field_line(
        doc,
        "7. СББР жаңалығы мен өзектілігінің негіздемесі және автор(лар)дың осы тақырып бойынша "
        "жинақтаған жұмыс қоры (факультетте немесе ғылыми зертханада оқу процесінің бөлігі "
        "ретінде бекітілген СББР, электрондық оқу-әдістемелік материалдар):"
        if kk
        else "7. Обоснование новизны и актуальности ЦОР и имеющийся у автора (авторов) задел "
        "(ЦОР утверждён в составе учебного процесса на факультете или в научной лаборатории, "
        "наличие электронных учебно-методических материалов):",
        "{{ justification }}",
    )
    field_line(doc, "8. СББР-ге кіру сілтемесі:" if kk else "8. Ссылка для доступа к ЦОР:", "{{ link }}")

    para(
        doc,
        ("Қосымшалар" if kk else "Приложения", "b"),
        (
            " (01 нысанына ескерту, {{ regulation }} ережесінің 9.6-тармағы):"
            if kk
            else " (примечание к форме 01, п. 9.6 Положения {{ regulation }}):"
        ),
        style="Section Heading",
    )
    none = "ұсынылмаған" if kk else "не представлен"
    para(
        doc,
        ("— оқу процесіне енгізу актісі: " if kk else "— акт внедрения в учебный процесс: "),
        "{{ act_files|join('; ') if act_files else '" + none + "' }}",
        style="Normal",  # an address has no space to stretch: justified, the line before it gaped
    )
    para(
        doc,
        (
            "— білім беру платформасында СББР орналастыру туралы ЖИЦДО сертификаты: "
            if kk
            else "— сертификат ЦИИЦР о размещении ЦОР на образовательной платформе: "
        ),
        "{{ certificate_files|join('; ') if certificate_files else '" + none + "' }}",
        style="Normal",
    )
    para(doc, "")
    para(doc, ("Күні: " if kk else "Дата: ", "b"), "{{ doc_date }}")
    para(doc, "")
    blank = "________________________"
    signature_table(
        doc,
        lang,
        [
            (
                "Кафедра меңгерушісі" if kk else "Заведующий кафедрой",
                "{{ head_of_department if head_of_department else '" + blank + "' }}",
            ),
            "{%tr for a in authors %}",
            ("СББР авторы" if kk else "Автор ЦОР", "{{ a.name }}"),
            "{%tr endfor %}",
        ],
    )
    return doc


def build_protocol_extract(lang: str):
    kk = lang == "kk"
    doc = new_document(lang, "{{ regulation }}")
    para(doc, "ХАТТАМАДАН ҮЗІНДІ КӨШІРМЕ" if kk else "ВЫПИСКА ИЗ ПРОТОКОЛА", style="Doc Title")
    para(doc, "{{ stage_title }}", style="Doc Subtitle")
    para(doc, ("«{{ edition_name }}» байқауы" if kk else "Конкурс «{{ edition_name }}»"), style="Doc Subtitle")
    para(doc, "")
    para(doc, ("№ {{ protocol_number }} хаттама" if kk else "Протокол № {{ protocol_number }}"), style="Doc Subtitle")
    field_line(doc, "Алқалы орган:" if kk else "Коллегиальный орган:", "{{ commission_kind }}")
    field_line(doc, "Құрылымдық бөлімше:" if kk else "Подразделение:", "{{ unit_name }}")
    field_line(doc, "Отырыс күні:" if kk else "Дата заседания:", "{{ meeting_date }}")
    field_line(doc, "Төраға:" if kk else "Председатель:", "{{ chair }}")
    field_line(doc, "Хатшы:" if kk else "Секретарь:", "{{ secretary }}")

    para(doc, "ҚАТЫСҚАНДАР:" if kk else "ПРИСУТСТВОВАЛИ:", style="Section Heading")
    table(
        doc,
        (0.8, 8.2, 7.5),
        ["№", "Аты-жөні, тегі" if kk else "Фамилия, имя, отчество", "Комиссиядағы рөлі" if kk else "Роль в комиссии"],
        ["{%tr for m in members %}", ["{{ loop.index }}", "{{ m.name }}", "{{ m.role }}"], "{%tr endfor %}"],
        aligns=(C, None, None),
    )

    para(doc, "КҮН ТӘРТІБІ:" if kk else "ПОВЕСТКА ДНЯ:", style="Section Heading")
    para(
        doc,
        (
            "«{{ edition_name }}» байқауына ұсынылған СББР-ді қарау және {{ regulation }} ережесінің "
            "{{ '9.4.1' if stage == 1 else '9.4.2' }}-тармағына сәйкес келесі кезеңге ұсыну үшін "
            "{{ quota }} СББР-ге дейін іріктеу."
            if kk
            else "Рассмотрение ЦОР, представленных на конкурс «{{ edition_name }}», и отбор не более "
            "{{ quota }} ЦОР для представления на следующий этап в соответствии с "
            "п. {{ '9.4.1' if stage == 1 else '9.4.2' }} Положения {{ regulation }}."
        ),
        style="Body Text Justified",
    )

    para(doc, "ТЫҢДАЛДЫ:" if kk else "СЛУШАЛИ:", style="Section Heading")
    keep(  # the table's lead-in stays with the table (a heading and it were left at a page's foot)
        para(
            doc,
            (
                "Сарапшылардың бағалау парақтары (02 нысаны) бойынша СББР рейтингі:"
                if kk
                else "Рейтинг ЦОР по оценочным листам экспертов (форма 02):"
            ),
            style="Body Text Justified",
        )
    )
    table(
        doc,
        (1.0, 3.3, 4.7, 3.5, 1.4, 1.0, 1.6),
        [
            "Орны" if kk else "Место",
            "ID",
            "СББР атауы" if kk else "Наименование ЦОР",
            "Авторлары" if kk else "Авторы",
            "Балл",
            "Сарапшылар саны" if kk else "Число экспертов",
            "Іріктелді" if kk else "Отобран",
        ],
        [
            "{%tr for d in ders %}",
            [
                "{{ d.rank }}",
                "{{ d.id }}",
                "{{ d.title }}",
                "{{ d.authors }}",
                "{{ d.score }}",
                "{{ d.raters }}",
                "{{ d.selected_mark }}",
            ],
            "{%tr endfor %}",
        ],
        aligns=(C, None, None, None, C, C, C),
        vertical=(0, 5, 6),
    )
    para(doc, "{{ criteria_note }}", style="Note Text")

    para(
        doc, "Комиссияның тіркелген шешімдері:" if kk else "Зафиксированные решения комиссии:", style="Section Heading"
    )
    _decisions(doc, kk)

    para(doc, "ҚАУЛЫ ЕТІЛДІ:" if kk else "ПОСТАНОВИЛИ:", style="Section Heading")
    para(doc, "{{ decision_text }}", style="Body Text Justified")
    para(
        doc,
        ("Келесі кезеңге ұсынылатын СББР:" if kk else "ЦОР, представляемые на следующий этап:", "b"),
        style="Body Text Justified",
    ).paragraph_format.keep_with_next = True
    tag(doc, "{%p if selected %}")
    table(
        doc,
        (0.8, 3.3, 6.1, 4.6, 1.7),
        ["№", "ID", "СББР атауы" if kk else "Наименование ЦОР", "Авторлары" if kk else "Авторы", "Балл"],
        [
            "{%tr for s in selected %}",
            ["{{ loop.index }}", "{{ s.id }}", "{{ s.title }}", "{{ s.authors }}", "{{ s.score }}"],
            "{%tr endfor %}",
        ],
        aligns=(C, None, None, None, C),
    )
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")
    _reasoning(doc, kk)

    keep(para(doc, ""))
    signature_lines(doc, lang)
    para(doc, "")
    para(
        doc,
        ("Үзінді көшірме дұрыс: " if kk else "Выписка верна: ", "b"),
        SIGN_LINE + " " + SIGN[lang] + "     ",
        ("Күні: " if kk else "Дата: ", "b"),
        "{{ doc_date }}",
    )
    _freeze_annex(doc, kk)
    proof_footer(doc)
    return doc


def _freeze_annex(doc, kk: bool):
    """The annex: rating sheets edited after their freeze (issue 10 item 5); the scores above are
    the frozen ones. Only when there was such an edit."""
    tag(doc, "{%p if post_freeze_edits %}")
    para(
        doc,
        (
            "ҚОСЫМША. Мұздатудан кейін өзгертілген бағалау парақтары"
            if kk
            else "ПРИЛОЖЕНИЕ. Оценочные листы, изменённые после заморозки"
        ),
        style="Section Heading",
    )
    keep(
        para(
            doc,
            (
                "Бағалау парағы мұздатылғаннан кейін келесі өзгерістер байқалды. Хаттамада мұздатылған "
                "бағалар пайдаланылды; кейінгі өзгерістер есепке алынбады."
                if kk
                else "После заморозки оценочных листов замечены следующие изменения. В протоколе использованы "
                "замороженные оценки; последующие изменения не учтены."
            ),
            style="Body Text Justified",
        )
    )
    table(
        doc,
        (2.6, 3.6, 3.4, 6.9),
        [
            "Байқалды" if kk else "Замечено",
            "Сарапшы" if kk else "Эксперт",
            "Парақ (нұсқасы)" if kk else "Лист (версия)",
            "Не өзгерді" if kk else "Что изменено",
        ],
        [
            "{%tr for e in post_freeze_edits %}",
            ["{{ e.detected }}", "{{ e.expert }}", "{{ e.sheet }} ({{ e.revision }})", "{{ e.changes }}"],
            "{%tr endfor %}",
        ],
    )
    tag(doc, "{%p endif %}")


def signature_lines(doc, lang: str):
    """The signers (chair, secretary, members) as kept-together paragraphs: role, a line to sign on
    and the name, the caption under the line. Every paragraph is kept with the next, so the block
    never breaks and stays on the page of the decision before it."""
    tag(doc, "{%p for m in signers %}")
    p = keep(para(doc, "{{ m.role }}\t" + SIGN_LINE + "\t{{ m.name }}"))
    p.paragraph_format.space_before = Pt(14)
    p.paragraph_format.tab_stops.add_tab_stop(Cm(3.6))
    p.paragraph_format.tab_stops.add_tab_stop(Cm(7.9))
    c = keep(para(doc, "\t" + SIGN[lang], style="Signature Caption", align=WD_ALIGN_PARAGRAPH.LEFT))
    c.paragraph_format.tab_stops.add_tab_stop(Cm(4.6))
    tag(doc, "{%p if m.note %}")
    keep(para(doc, "{{ m.note }}", style="Signature Caption", align=WD_ALIGN_PARAGRAPH.LEFT))
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def keep(paragraph):
    """Keep this paragraph on the page of the next one (a decision stays with its signatures)."""
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _reasoning(doc, kk: bool):
    """The reasoned decision: one paragraph per sentence the pipeline wrote from what happened. The
    heading is kept with its first sentence and the last sentence with the signatures after it; the
    sentences between may break across pages (keeping them all together pushed the whole decision
    to the next page, leaving a page with one table row)."""
    keep(para(doc, ("Шешімнің негіздемесі:" if kk else "Обоснование решения:", "b"), style="Body Text Justified"))
    tag(doc, "{%p for r in reasoning[:-1] %}")
    para(doc, "{{ r }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if reasoning %}")
    keep(para(doc, "{{ reasoning[-1] }}", style="Body Text Justified"))
    tag(doc, "{%p endif %}")


def _decisions(doc, kk: bool):
    # the decision column names the DERs it decided on, with their titles: the widest column (a
    # narrow one wrapped a tie-break into fifteen lines)
    tag(doc, "{%p if decisions %}")
    table(
        doc,
        (6.6, 3.2, 2.5, 4.2),
        [
            "Шешім" if kk else "Решение",
            "Кім қабылдады" if kk else "Кем принято",
            "Күні" if kk else "Дата",
            "Негіздеме" if kk else "Основание",
        ],
        [
            "{%tr for d in decisions %}",
            ["{{ d.kind }}", "{{ d.by }}", "{{ d.at }}", "{{ d.reason }}"],
            "{%tr endfor %}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, NONE["kk" if kk else "ru"] + ".")
    tag(doc, "{%p endif %}")


def build_form02(lang: str):
    """The expert's evaluation sheet. The criteria columns repeat horizontally with ``{%tc for %}``:
    in each of the two header rows and in the data row, the cell between the ``{%tc for …%}`` cell
    and the ``{%tc endfor %}`` cell is printed once per criterion. ``pipelines.formats.documents.render``
    then shares the page width out again (fixed columns keep their width ratio, each criterion
    column gets the width of the repeated cell)."""
    kk = lang == "kk"
    doc = new_document(lang, FORM02_CODE, landscape=True)
    para(doc, "БАҒАЛАУ ПАРАҒЫ" if kk else "ОЦЕНОЧНЫЙ ЛИСТ", style="Doc Title")
    para(doc, "«{{ edition_name }}» байқауы" if kk else "конкурса «{{ edition_name }}»", style="Doc Subtitle")
    para(
        doc, ("{{ stage }}-кезең: {{ unit_name }}" if kk else "Этап {{ stage }}: {{ unit_name }}"), style="Doc Subtitle"
    )
    para(doc, "")
    # An expert who returned nothing: one page saying so, no empty table to sign (issue 20).
    tag(doc, "{%p if not_returned %}")
    para(doc, ("Сарапшы: " if kk else "Эксперт: ", "b"), "{{ expert_name }}", style="Body Text Justified")
    para(doc, "{{ not_returned }}", style="Body Text Justified").paragraph_format.space_before = Pt(12)
    tag(doc, "{%p else %}")

    # The approved form: № | title | author | link | the criteria numbered 1..n | n+1 the sum.
    widths = (0.8, 5.4, 4.0, 4.6, 0.4, 1.5, 0.4, 1.9)
    headers = [
        "№",
        "СББР атауы" if kk else "Наименование ЦОР",
        "СББР авторы" if kk else "Автор(ы) ЦОР",
        "СББР сілтемесі" if kk else "Ссылка на ЦОР",
        "{%tc for c in criteria %}",
        "{{ c.label }}",
        "{%tc endfor %}",
        "Барлық көрсеткіштер бойынша ұпайлар сомасы" if kk else "Сумма баллов по всем показателям",
    ]
    numbers = ["", "", "", "", "{%tc for c in criteria %}", "{{ c.n }}", "{%tc endfor %}", "{{ sum_n }}"]
    data = [
        "{{ r.n }}",
        "{{ r.title }}",
        "{{ r.authors }}",
        "{{ r.link }}",
        "{%tc for s in r.scores %}",
        "{{ s }}",
        "{%tc endfor %}",
        "{{ r.total }}",
    ]
    t = table(
        doc,
        widths,
        headers,
        [numbers, "{%tr for r in rows %}", data, "{%tr endfor %}"],
        aligns=(C, None, None, None, C, C, C, C),
    )
    head, nums = t.rows[0], t.rows[1]
    repeat_header(nums)
    row_height(head, 5.2)
    vertical_text(head.cells[5])
    vertical_text(head.cells[7])
    for i in (0, 1, 2, 3):  # the fixed columns span both header rows
        text = headers[i]
        merged = head.cells[i].merge(nums.cells[i])
        set_cell(merged, text, "Table Heading")
        merged.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    set_cell(nums.cells[5], "{{ c.n }}", "Table Heading")
    set_cell(nums.cells[7], "{{ sum_n }}", "Table Heading")
    # the notes, the scale and the signature stay together: the expert signs under what she reads
    tag(doc, "{%p if notes %}")
    keep(
        para(
            doc,
            (
                "Есепке алынбаған мәндер және сарапшының пікірлері (жол нөмірі бойынша):"
                if kk
                else "Неучтённые значения и комментарии эксперта (по номеру строки):",
                "b",
            ),
            style="Note Text",
        )
    )
    tag(doc, "{%p for x in notes %}")
    keep(para(doc, "{{ x }}", style="Note Text")).paragraph_format.space_before = Pt(0)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")

    para(
        doc,
        (
            "Ескерту: СББР әр критерий бойынша 1-ден 10-ға дейінгі шкала бойынша бағаланады: "
            "1 – өте нашар, 10 – өте жақсы."
            if kk
            else "Примечание: ЦОР оценивается по каждому критерию по шкале от 1 до 10: "
            "1 – очень плохо, 10 – очень хорошо."
        ),
        style="Note Text",
    ).paragraph_format.keep_with_next = True
    keep(para(doc, ""))
    t = doc.add_table(rows=1, cols=4)
    t.autofit = False
    fixed_layout(t)
    for i, w in enumerate((6.5, 7.7, 5.5, 6.5)):
        t.columns[i].width = Cm(w)
        _set_cell_width(t.rows[0].cells[i], w)
    c0, c1, c2, c3 = t.rows[0].cells
    row_height(t.rows[0], 1.3)
    cant_split(t.rows[0])
    for c in (c0, c1, c2, c3):
        c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    set_cell(c0, "Сарапшының толық аты-жөні:" if kk else "Ф. И. О. эксперта:", "Normal", bold=True)
    set_cell(c1, "{{ expert_name }}", "Normal")
    set_cell(c2, SIGN_LINE, "Normal", align=C)
    c2.add_paragraph(SIGN[lang], style="Signature Caption")
    set_cell(c3, "{{ doc_date }}", "Normal", align=WD_ALIGN_PARAGRAPH.RIGHT)  # blank, dated by hand
    tag(doc, "{%p endif %}")
    return doc


def _ranking_table(doc, kk: bool, *, with_id: bool = True):
    # "faculty / department" holds two official names: the widest column (narrower, it wrapped
    # into nine lines a row and the results ran onto a third page for their last two lines)
    if with_id:
        widths = (0.8, 2.5, 3.1, 2.6, 4.7, 1.3, 0.8, 0.7)
        vertical = (0, 6, 7)
    else:
        widths = (0.9, 4.3, 3.0, 5.3, 1.4, 1.6)
        vertical = (0, 5)
    head = (
        ["Орны" if kk else "Место"]
        + (["ID"] if with_id else [])
        + ["СББР атауы" if kk else "Наименование ЦОР", "Авторлары" if kk else "Авторы", "Факультет / кафедра", "Балл"]
        + (["Сарапшылар саны" if kk else "Число экспертов"] if with_id else [])
        + ["Жүлделі орын" if kk else "Призовое место"]
    )
    data = (
        ["{{ d.rank }}"]
        + (["{{ d.id }}"] if with_id else [])
        + ["{{ d.title }}", "{{ d.authors }}", "{{ d.faculty }} / {{ d.department }}", "{{ d.score }}"]
        + (["{{ d.raters }}"] if with_id else [])
        + ["{{ d.place }}"]
    )
    aligns = (C,) + ((None,) if with_id else ()) + (None, None, None, C) + ((C,) if with_id else ()) + (C,)
    table(
        doc,
        widths,
        head,
        ["{%tr for d in ranking %}", data, "{%tr endfor %}"],
        aligns=aligns,
        vertical=vertical,
        header_height=3.4,
        text_style="Table Small",
    )


def _winners_table(doc, kk: bool, *, with_id: bool = True):
    widths = (1.4, 3.3, 5.7, 4.4, 1.7) if with_id else (1.4, 8.4, 5.0, 1.7)
    head = (
        ["Орын" if kk else "Место"]
        + (["ID"] if with_id else [])
        + ["СББР атауы" if kk else "Наименование ЦОР", "Авторлары" if kk else "Авторы", "Балл"]
    )
    data = (
        ["{{ w.place }}"] + (["{{ w.id }}"] if with_id else []) + ["{{ w.title }}", "{{ w.authors }}", "{{ w.score }}"]
    )
    aligns = (C,) + ((None,) if with_id else ()) + (None, None, C)
    table(doc, widths, head, ["{%tr for w in winners %}", data, "{%tr endfor %}"], aligns=aligns)


def build_final_protocol(lang: str):
    kk = lang == "kk"
    doc = new_document(lang, "{{ regulation }}")
    para(doc, "ҚОРЫТЫНДЫ ХАТТАМА" if kk else "ИТОГОВЫЙ ПРОТОКОЛ", style="Doc Title")
    para(
        doc,
        (
            "Конкурс комиссиясының «{{ edition_name }}» байқауының қорытындысын шығару жөніндегі отырысы"
            if kk
            else "заседания конкурсной комиссии по подведению итогов конкурса «{{ edition_name }}»"
        ),
        style="Doc Subtitle",
    )
    para(doc, ("(үшінші, финалдық кезең)" if kk else "(третий, финальный этап)"), style="Doc Subtitle")
    para(doc, "")
    p = para(doc, "№ {{ protocol_number }}\t", "Алматы қ., " if kk else "г. Алматы, ", "{{ meeting_date }}")
    p.paragraph_format.tab_stops.add_tab_stop(Cm(16.5), WD_TAB_ALIGNMENT.RIGHT)
    para(doc, "")
    field_line(doc, "Төраға:" if kk else "Председатель:", "{{ chair }}")
    field_line(doc, "Хатшы:" if kk else "Секретарь:", "{{ secretary }}")
    field_line(doc, "Кворум:" if kk else "Кворум:", "{{ quorum }}")
    para(doc, ("Қатысқандар:" if kk else "Присутствовали:", "b")).paragraph_format.keep_with_next = True
    table(
        doc,
        (0.8, 8.2, 7.5),
        ["№", "Аты-жөні, тегі" if kk else "Фамилия, имя, отчество", "Рөлі" if kk else "Роль"],
        ["{%tr for m in members %}", ["{{ loop.index }}", "{{ m.name }}", "{{ m.role }}"], "{%tr endfor %}"],
        aligns=(C, None, None),
    )

    para(doc, "КҮН ТӘРТІБІ:" if kk else "ПОВЕСТКА ДНЯ:", style="Section Heading")
    para(
        doc,
        (
            "Байқаудың үшінші (финалдық) кезеңінің қорытындысын шығару және жеңімпаздарды анықтау "
            "({{ regulation }} ережесінің 9.4.3, 9.11, 11.1–11.3-тармақтары)."
            if kk
            else "Подведение итогов третьего (финального) этапа конкурса и определение победителей "
            "(пп. 9.4.3, 9.11, 11.1–11.3 Положения {{ regulation }})."
        ),
        style="Body Text Justified",
    )

    para(doc, "ТЫҢДАЛДЫ:" if kk else "СЛУШАЛИ:", style="Section Heading")
    keep(
        para(
            doc,
            (
                "Сарапшылардың бағалау парақтарындағы (02 нысаны) рейтингтік ұпайлардан тұратын рейтингтік "
                "балл бойынша СББР рейтингі:"
                if kk
                else "Рейтинг ЦОР по рейтинговому баллу, составленному из баллов экспертов в оценочных листах (форма 02):"
            ),
            style="Body Text Justified",
        )
    )
    _ranking_table(doc, kk)

    para(
        doc,
        (
            "Финалистердің құжаттарының толықтығын тексеру (9.4.3-тармақ):"
            if kk
            else "Проверка полноты документов финалистов (п. 9.4.3):"
        ),
        style="Section Heading",
    )
    table(
        doc,
        (3.1, 4.0, 1.7, 2.1, 1.8, 1.8, 2.0),
        [
            "ID",
            "СББР атауы" if kk else "Наименование ЦОР",
            "01 нысаны" if kk else "Форма 01",
            "Акт және сертификат" if kk else "Акт и сертификат",
            "I кезең үзіндісі" if kk else "Выписка I этапа",
            "II кезең үзіндісі" if kk else "Выписка II этапа",
            "Қорытынды" if kk else "Итог",
        ],
        [
            "{%tr for c in dossiers %}",
            [
                "{{ c.id }}",
                "{{ c.title }}",
                "{{ c.form01 }}",
                "{{ c.attachments }}",
                "{{ c.extract1 }}",
                "{{ c.extract2 }}",
                "{{ c.complete }}",
            ],
            "{%tr endfor %}",
        ],
        aligns=(None, None, C, C, C, C, C),
    )

    para(
        doc, "Комиссияның тіркелген шешімдері:" if kk else "Зафиксированные решения комиссии:", style="Section Heading"
    )
    _decisions(doc, kk)

    para(doc, "ҚАУЛЫ ЕТІЛДІ:" if kk else "ПОСТАНОВИЛИ:", style="Section Heading")
    keep(
        para(
            doc,
            (
                "1. Ең жоғары рейтингтік балл жинаған қатысушыларды байқау жеңімпаздары деп тану "
                "(жүлделі орындар саны: {{ prize_places }}):"
                if kk
                else "1. Признать победителями конкурса участников, набравших наибольший рейтинговый балл "
                "(призовых мест: {{ prize_places }}):"
            ),
            style="Body Text Justified",
        )
    )
    _winners_table(doc, kk)
    para(doc, "")
    para(
        doc,
        (
            "2. Байқау нәтижелерін, марапаттау рәсімінің уақыты мен орнын «АТУ» АҚ және ЖИЦДО "
            "сайттарында PDF форматында жариялау (11.4, 13.2-тармақтар)."
            if kk
            else "2. Опубликовать результаты конкурса, время и место церемонии награждения на сайтах "
            "АО «АТУ» и ЦИИЦР в формате PDF (пп. 11.4, 13.2)."
        ),
        style="Body Text Justified",
    )
    para(
        doc,
        (
            "3. Байқау қорытындысын «АТУ» АҚ ректорына таныстыру."
            if kk
            else "3. Представить итоги конкурса ректору АО «АТУ»."
        ),
        style="Body Text Justified",
    )
    para(doc, "{{ votes }}", style="Body Text Justified")
    _reasoning(doc, kk)
    keep(para(doc, ""))
    signature_lines(doc, lang)
    _freeze_annex(doc, kk)
    proof_footer(doc)
    return doc


def proof_footer(doc):
    """Under the page numbers, the short digest of the scores the protocol used (issue 22)."""
    footer = doc.sections[0].footer.add_paragraph("{{ footer_proof }}", style="Table Small")
    footer.alignment = C


def build_results(lang: str):
    kk = lang == "kk"
    doc = new_document(lang, "{{ regulation }}")
    para(doc, "БАЙҚАУ НӘТИЖЕЛЕРІ" if kk else "РЕЗУЛЬТАТЫ КОНКУРСА", style="Doc Title")
    para(doc, "«{{ edition_name }}»", style="Doc Subtitle")
    para(doc, "")
    para(
        doc,
        (
            "Конкурс комиссиясының шешімімен ({{ regulation }} ережесінің 11.1–11.3-тармақтары) "
            "байқау жеңімпаздары болып танылды:"
            if kk
            else "Решением конкурсной комиссии (пп. 11.1–11.3 Положения {{ regulation }}) победителями "
            "конкурса признаны:"
        ),
        style="Body Text Justified",
    )
    _winners_table(doc, kk, with_id=False)
    para(doc, "Финалдық кезеңнің рейтингі:" if kk else "Рейтинг финального этапа:", style="Section Heading")
    _ranking_table(doc, kk, with_id=False)
    # the finalists' chart, as the final protocol's annex has it: pipelines/jobs/annex.py puts it here
    caption = para(doc, "{{ chart_caption }}", style="Note Text").paragraph_format
    caption.keep_with_next, caption.space_before = True, Pt(8)  # not pressed against the table
    para(doc, "{{ chart_marker }}", align=C)
    para(doc, "")
    tag(doc, "{%p if ceremony %}")
    para(
        doc,
        ("Марапаттау рәсімі: " if kk else "Церемония награждения: ", "b"),
        "{{ ceremony }}",
        style="Body Text Justified",
    )
    tag(doc, "{%p endif %}")
    para(
        doc,
        (
            "Жеңімпаздар дипломдармен немесе ақшалай сыйлықтармен марапатталады (11.5-тармақ)."
            if kk
            else "Победители награждаются дипломами или денежными премиями (п. 11.5)."
        ),
        style="Body Text Justified",
    )
    para(doc, "")
    para(doc, ("Жарияланған күні: " if kk else "Дата публикации: ", "b"), "{{ doc_date }}")
    para(
        doc,
        (
            "«АТУ» АҚ Жасанды интеллект және цифрлық даму орталығы (ЖИЦДО)"
            if kk
            else "Центр искусственного интеллекта и цифрового развития (ЦИИЦР) АО «АТУ»"
        ),
    )
    return doc


# The annex "how this ranking was made" (issue 22): the paragraph holding {{ chart_marker }} is where
# pipelines/jobs/annex.py puts the chart.
def build_annex(lang: str):
    kk = lang == "kk"
    doc = new_document(lang, "{{ regulation }}", landscape=True)
    para(doc, "ҚОСЫМША" if kk else "ПРИЛОЖЕНИЕ", style="Doc Title")
    para(doc, "{{ protocol_title }}", style="Doc Subtitle")
    para(doc, ("Рейтинг қалай жасалды", "b") if kk else ("Как составлен рейтинг", "b"), style="Doc Subtitle")
    para(doc, "{{ unit_name }}", style="Doc Subtitle")
    para(doc, ("«{{ edition_name }}» байқауы" if kk else "Конкурс «{{ edition_name }}»"), style="Doc Subtitle")
    para(doc, "")
    para(
        doc,
        (
            "Бұл қосымша ресми нәтижені өзгертпейді: ол сарапшылардың бағалары, олардың келісімі және "
            "кесу шегіне әсер еткен жайттар туралы дәлелдерді көрсетеді (9.4, 11.2–11.3, 13)."
            if kk
            else "Это приложение не меняет официальный результат: оно показывает оценки экспертов, их "
            "согласованность и то, что повлияло на проход через порог отбора (9.4, 11.2–11.3, 13)."
        ),
        style="Note Text",
    )

    para(doc, "1. Қолданылған ереже" if kk else "1. Применённое правило", style="Section Heading")
    tag(doc, "{%p for line in rule_lines %}")
    para(doc, "{{ line }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")

    para(
        doc,
        "2. Рейтинг және бағалардың шашыраңқылығы" if kk else "2. Рейтинг и разброс оценок",
        style="Section Heading",
    )
    table(
        doc,
        (1.8, 3.2, 5.0, 2.0, 2.6, 2.3, 2.3, 2.4, 2.1, 2.2),
        [
            "Орны" if kk else "Место",
            "ID",
            "СББР атауы" if kk else "Наименование ЦОР",
            "Ресми балл" if kk else "Офиц. балл",
            "Сарапшы" if kk else "Экспертов",
            "Стандарт. ауытқу" if kk else "Станд. откл.",
            "Ең үлкені − ең кішісі" if kk else "Макс. − мин.",
            "Талқылау керек" if kk else "Нужно обсудить",
            "Қалыпт. балл" if kk else "Нормир. балл",
            "Іріктелді" if kk else "Отобран",
        ],
        [
            "{%tr for d in ders %}",
            [
                "{{ d.rank }}",
                "{{ d.id }}",
                "{{ d.title }}",
                "{{ d.score }}",
                "{{ d.raters }}",
                "{{ d.sd }}",
                "{{ d.range }}",
                "{{ d.flag }}",
                "{{ d.normalised }}",
                "{{ d.selected_mark }}",
            ],
            "{%tr endfor %}",
        ],
        aligns=(C, None, None, C, C, C, C, C, C, C),
    )
    para(doc, "{{ spread_note }}", style="Note Text")

    para(doc, "3. Әр сарапшының бағалары" if kk else "3. Оценки каждого эксперта", style="Section Heading")
    # kept with the table: else LibreOffice left the heading and the legend at a page's foot and the
    # table on the next page (a table longer than the page still starts under them)
    keep(para(doc, "{{ criteria_legend }}", style="Note Text"))
    table(
        doc,
        (3.4, 6.4, 9.8, 2.4, 2.0),
        [
            "ID",
            "Сарапшы" if kk else "Эксперт",
            "Критерийлер бойынша балдар" if kk else "Баллы по критериям",
            "Жалпы балл" if kk else "Сумма баллов",
            "Есепке алынды" if kk else "Учтено",
        ],
        [
            "{%tr for r in ratings %}",
            ["{{ r.der }}", "{{ r.expert }}", "{{ r.scores }}", "{{ r.total }}", "{{ r.counted }}"],
            "{%tr endfor %}",
        ],
        aligns=(None, None, None, C, C),
    )

    para(doc, "4. Сарапшылардың келісімі" if kk else "4. Согласованность экспертов", style="Section Heading")
    para(doc, "{{ alpha_text }}", style="Body Text Justified")

    para(doc, "5. Қалыптандырылған көрініс" if kk else "5. Нормированный взгляд", style="Section Heading")
    tag(doc, "{%p for line in normalised_lines %}")
    para(doc, "{{ line }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")

    para(
        doc,
        "6. Төраға көруге тиіс белгілер" if kk else "6. Отметки, которые должен видеть председатель",
        style="Section Heading",
    )
    tag(doc, "{%p if flags %}")
    tag(doc, "{%p for line in flags %}")
    para(doc, "{{ line }}", style="Body Text Justified")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")

    para(
        doc,
        "7. Комиссияның тіркелген шешімдері" if kk else "7. Зафиксированные решения комиссии",
        style="Section Heading",
    )
    tag(doc, "{%p if decisions %}")
    table(
        doc,
        (7.0, 5.0, 3.0, 9.0),
        [
            "Шешім" if kk else "Решение",
            "Кім қабылдады" if kk else "Кем принято",
            "Күні" if kk else "Дата",
            "Негіздеме" if kk else "Основание",
        ],
        [
            "{%tr for d in decisions %}",
            ["{{ d.kind }}", "{{ d.by }}", "{{ d.at }}", "{{ d.reason }}"],
            "{%tr endfor %}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")

    para(doc, "8. Мұздатудан кейінгі өзгерістер" if kk else "8. Изменения после заморозки", style="Section Heading")
    tag(doc, "{%p if post_freeze_edits %}")
    table(
        doc,
        (3.2, 5.0, 5.8, 10.0),
        [
            "Байқалды" if kk else "Замечено",
            "Сарапшы" if kk else "Эксперт",
            "Парақ (нұсқасы)" if kk else "Лист (версия)",
            "Не өзгерді" if kk else "Что изменено",
        ],
        [
            "{%tr for e in post_freeze_edits %}",
            ["{{ e.detected }}", "{{ e.expert }}", "{{ e.sheet }} ({{ e.revision }})", "{{ e.changes }}"],
            "{%tr endfor %}",
        ],
    )
    tag(doc, "{%p else %}")
    para(doc, NONE[lang] + ".")
    tag(doc, "{%p endif %}")

    para(doc, "9. Диаграмма" if kk else "9. Диаграмма", style="Section Heading")
    para(doc, "{{ chart_caption }}", style="Note Text").paragraph_format.keep_with_next = True
    para(doc, "{{ chart_marker }}", align=C)

    para(doc, "10. Деректердің дәлелі" if kk else "10. Подтверждение данных", style="Section Heading")
    tag(doc, "{%p for line in proof_lines %}")
    para(doc, "{{ line }}", style="Table Small")
    tag(doc, "{%p endfor %}")

    proof_footer(doc)
    return doc


BUILDERS = {
    "form01": build_form01,
    "protocol_extract": build_protocol_extract,
    "form02": build_form02,
    "final_protocol": build_final_protocol,
    "results": build_results,
    "annex": build_annex,
}


class Refused(Exception):
    """Templates exist where the generator would write, and --force was not given."""


def targets(outdir: Path) -> list[Path]:
    return [outdir / f"{kind}.{lang}.docx" for kind in BUILDERS for lang in LANGS]


def build_all(outdir: Path, *, force: bool = False) -> list[Path]:
    """Every template into `outdir`. Refuses (writing nothing) when any of them exists, unless `force`."""
    existing = [p for p in targets(outdir) if p.exists()]
    if existing and not force:
        raise Refused(
            f"{len(existing)} template(s) exist in {outdir} (e.g. {existing[0].name}) and may hold staff's "
            "edits; nothing written. Give an empty folder, or --force to overwrite them on purpose."
        )
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, builder in BUILDERS.items():
        for lang in LANGS:
            doc = builder(lang)
            props = doc.core_properties
            props.title = f"{kind} ({lang}) — АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04"
            props.author = "ATU CDB"
            props.language = {"kk": "kk-KZ", "ru": "ru-RU"}[lang]
            props.comments = "docxtpl template; see tools/build_templates.py for the tag rules"
            path = outdir / f"{kind}.{lang}.docx"
            doc.save(path)
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    force = "--force" in argv
    rest = [a for a in argv if a != "--force"]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        print(__doc__, file=sys.stderr)
        return 2
    if not rest and not force:
        print(
            "refused: give OUTDIR, or --force to overwrite docx_templates/ (see the top of this file)", file=sys.stderr
        )
        return 2
    try:
        written = build_all(Path(rest[0]) if rest else TEMPLATES, force=force)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
