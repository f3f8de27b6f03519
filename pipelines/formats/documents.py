"""Context dicts -> docxtpl Word templates -> .docx bytes (and PDF through LibreOffice).

The templates live in ``docx_templates/<kind>.<lang>.docx``, package data of the top-level
``docx_templates`` package (override the folder with the ``CONTEST_TEMPLATES`` environment variable). They are plain Word files that CDB staff may restyle;
``tools/build_templates.py`` wrote the first version.

Each kind has a context contract (``CONTEXT_KEYS``): the caller passes exactly these keys, values
already formatted as text where they are numbers or dates (plain str/int/float/list/dict). A
template may use any subset of its contract; ``render`` refuses to run a template that asks for a
variable the context does not supply, naming the variables and the template.

docxtpl renders every document (its public API: open, render, save); what a template gives every
render (its bytes, variables, ``{%tc for%}`` layouts and compiled Jinja parts) is prepared once per
file version, and a document whose inputs did not change is not rendered at all (``ports.plan_put``).

Documents (regulation АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04):
  form01            cover letter of one application (form Ү. ЖИЦДО-7.5.1-2025-04-01; 9.6, 9.7)
  protocol_extract  extract from the minutes of stage 1 (department) / stage 2 (faculty) (9.4.1, 9.4.2, 9.7)
  form02            one expert's evaluation sheet (form Ү. ЖИЦДО-7.5.1-2025-04-02; 11.2)
  final_protocol    the contest commission's protocol after stage 3 (9.4.3, 9.11, 11.1-11.3)
  results           the results for publication as PDF (11.4, 13.2)
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateError

from pipelines.domain import form01
from pipelines.formats.cells import UNSTORABLE

KINDS = ("form01", "protocol_extract", "form02", "final_protocol", "results", "annex")
LANGS = ("kk", "ru")

COMMON_KEYS = frozenset({"lang", "edition_name", "year", "doc_date", "regulation"})
# Facts offered to a template that the shipped templates do not print (they print the worded
# `reasoning`); staff who restyle a template may use them.
OFFERED_KEYS = frozenset({"account"})

CONTEXT_KEYS: dict[str, frozenset[str]] = {
    "form01": COMMON_KEYS | {"application_id", *form01.NAMES, "submitted_at", "head_of_department"},
    "protocol_extract": COMMON_KEYS
    | {
        "stage",
        "stage_title",
        "unit_name",
        "commission_kind",
        "meeting_date",
        "protocol_number",
        "chair",
        "secretary",
        "members",  # [{name, role}]: who attended, role with any recusal (13)
        "signers",  # [{name, role, note}]: chair, secretary, then the members; note: a recusal (13)
        "quota",
        "ders",  # [{rank, id, title, authors, score, raters, selected_mark}]
        "selected",  # [{id, title, authors, score}]
        "decision_text",  # the selection and its vote
        "reasoning",  # [str]: the reasoned decision, sentence by sentence
        "account",  # the facts it is worded from (jobs/paperwork.py Account): ders with who was counted, decisions
        "decisions",  # [{kind, by, at, reason}]
        "criteria_note",
        "post_freeze_edits",  # [{detected, expert, sheet, revision, changes}]: the annex (issue 10 item 5)
        "footer_proof",  # the page footer: the short digest of the scores used, "see the annex" (issue 22)
    },
    "form02": COMMON_KEYS
    | {
        "stage",
        "unit_name",
        "expert_name",
        "criteria",  # [{n, label}]
        "sum_n",  # the number of the sum column (criteria + 1; 8 on the approved form)
        "rows",  # [{n, title, authors, link, scores: [str] (one per criterion), total}]
        "notes",  # [str]: why a value is not counted, the expert's comments
        "not_returned",  # the sentence printed instead of the table when the expert returned nothing; else ""
    },
    "final_protocol": COMMON_KEYS
    | {
        "meeting_date",
        "protocol_number",
        "chair",
        "secretary",
        "members",  # [{name, role}]
        "signers",  # [{name, role, note}]
        "quorum",
        "dossiers",  # [{id, title, form01, attachments, extract1, extract2, complete}] (9.4.3)
        "ranking",  # [{rank, id, title, authors, faculty, department, score, raters, place}]
        "winners",  # [{place, id, title, authors, score}]
        "decisions",  # [{kind, by, at, reason}]
        "reasoning",  # [str]
        "account",  # as in protocol_extract
        "votes",
        "prize_places",
        "post_freeze_edits",  # [{detected, expert, sheet, revision, changes}]: the annex (issue 10 item 5)
        "footer_proof",  # as in protocol_extract
    },
    "results": COMMON_KEYS
    | {
        "winners",  # [{place, id, title, authors, score}]
        "ranking",  # [{rank, id, title, authors, faculty, department, score, raters, place}]
        "ceremony",
        "chart_caption",  # the finalists' chart (issue 22), as the final protocol's annex has it
        "chart_marker",  # the paragraph the chart replaces (jobs/annex.py with_chart)
    },
    # "how this ranking was made", beside each extract and the final protocol (issue 22; jobs/annex.py)
    "annex": COMMON_KEYS
    | {
        "protocol_title",
        "unit_name",
        "rule_lines",  # [str]: mean or sum, quota, tie-break, quorum
        "ders",  # [{rank, id, title, score, raters, sd, range, flag, normalised, selected_mark}]
        "spread_note",
        "criteria_legend",
        "ratings",  # [{der, expert, scores, total, counted}]
        "alpha_text",
        "normalised_lines",  # [str]
        "flags",  # [str]
        "decisions",  # [{kind, by, at, reason}]
        "post_freeze_edits",  # [{detected, expert, sheet, revision, changes}]
        "chart_caption",
        "chart_marker",  # the paragraph the chart replaces
        "proof_lines",  # [str]: the scores' digest, the config's digest, the product's version
        "footer_proof",
    },
}

SOFFICE_TIMEOUT = 120  # seconds

# The document's own properties (File > Properties; the PDF's title and author), in its language.
LOCALES = {"kk": "kk-KZ", "ru": "ru-RU"}
AUTHOR = {
    "kk": "«Алматы технологиялық университеті» АҚ, ЖИЦДО",
    "ru": "АО «Алматинский технологический университет», ЦИИЦР",
}
TITLES = {
    "form01": {"kk": "Ілеспе хат (01 нысаны)", "ru": "Сопроводительное письмо (форма 01)"},
    "protocol_extract": {"kk": "Хаттамадан үзінді көшірме", "ru": "Выписка из протокола"},
    "form02": {"kk": "Бағалау парағы (02 нысаны)", "ru": "Оценочный лист (форма 02)"},
    "final_protocol": {"kk": "Қорытынды хаттама", "ru": "Итоговый протокол"},
    "results": {"kk": "Байқау нәтижелері", "ru": "Результаты конкурса"},
    "annex": {"kk": "Хаттамаға қосымша: рейтинг қалай жасалды", "ru": "Приложение к протоколу: как составлен рейтинг"},
}


class DocumentError(Exception):
    """A document cannot be produced: unknown kind, missing template or variables, no LibreOffice."""


# --------------------------------------------------------------------------- templates


def templates_dir() -> Path:
    override = os.environ.get("CONTEST_TEMPLATES")
    if override:
        return Path(override).expanduser()
    # Package data; pip unpacks a wheel, so the package is a real folder (docxtpl wants file paths).
    return Path(str(files("docx_templates")))


def template_path(kind: str, lang: str) -> Path:
    if kind not in KINDS:
        raise DocumentError(f"unknown document kind {kind!r}: expected one of {', '.join(KINDS)}")
    if lang not in LANGS:
        raise DocumentError(f"unknown document language {lang!r}: expected one of {', '.join(LANGS)}")
    return templates_dir() / f"{kind}.{lang}.docx"


_DIGESTS: dict[str, tuple[tuple[int, int], str]] = {}


def template_digest(kind: str, lang: str) -> str:
    """`digest.content_digest` of the template file of ``kind``/``lang`` (what a document's source
    digest is made from), worked out once per file version (mtime, size): a put of an unchanged
    document then costs no read and no unzipping of the 840 kB template."""
    from pipelines.formats.digest import content_digest

    path = template_path(kind, lang)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DocumentError(
            f"template {path} is missing: restore it from the repository "
            f"or set CONTEST_TEMPLATES to a folder that has it"
        ) from None
    version = (stat.st_mtime_ns, stat.st_size)
    held = _DIGESTS.get(str(path))
    if held is None or held[0] != version:
        held = _DIGESTS[str(path)] = (version, content_digest(path.read_bytes()))
    return held[1]


def template_variables(kind: str, lang: str) -> set[str]:
    """The top-level variables the template of ``kind``/``lang`` uses."""
    return set(_compiled(template_path(kind, lang)).variables)


def _open_template(path: Path) -> DocxTemplate:
    if not path.is_file():
        raise DocumentError(
            f"template {path} not found (run tools/build_templates.py "
            f"or set CONTEST_TEMPLATES to the folder that holds it)"
        )
    try:
        return DocxTemplate(str(path))
    except Exception as exc:  # a corrupt or non-docx file
        raise DocumentError(f"template {path} cannot be opened as a .docx: {exc}") from exc


def _jinja_env() -> Environment:
    return _CompilingEnvironment(autoescape=True)


class _CompilingEnvironment(Environment):
    """A Jinja environment that compiles each distinct source once: docxtpl hands it the same
    patched template XML for every document of a kind, and compiling it is most of a render."""

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._compiled: dict[tuple[str, bool], Any] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        key = (source, bool(self.autoescape))
        template = self._compiled.get(key)
        if template is None:
            template = self._compiled[key] = super().from_string(source)
        return template


@dataclass(frozen=True)
class _Template:
    """What a template file gives every render: its bytes, its variables, its {%tc for%} layouts
    and the environment holding its compiled parts. Made once per file version (path, mtime, size)."""

    data: bytes
    variables: frozenset[str]
    layouts: tuple
    env: Environment


_TEMPLATES: dict[tuple[str, int, int], _Template] = {}


def _compiled(path: Path) -> _Template:
    if not path.is_file():
        _open_template(path)  # raises the message naming the file and how to get it
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _TEMPLATES.get(key)
    if found is None:
        data = path.read_bytes()
        tpl = _open_template(path)
        env = _jinja_env()
        try:
            variables = frozenset(tpl.get_undeclared_template_variables(env))
        except TemplateError as exc:
            raise DocumentError(f"template {path} has a tag error: {exc}") from exc
        doc = Document(io.BytesIO(data))
        layouts = tuple(_tc_loop_layouts(doc))
        # the styles' proofing language set once here, not in every document (a fifth of a render)
        _stamp_styles(doc.styles.element, _lang_of(path))
        stamped = io.BytesIO()
        doc.save(stamped)
        data = stamped.getvalue()
        for old in [k for k in _TEMPLATES if k[0] == key[0]]:  # an edited template replaces its old version
            del _TEMPLATES[old]
        found = _TEMPLATES[key] = _Template(data, variables, layouts, env)
    return found


# --------------------------------------------------------------------------- rendering


# A vertical tab is Word's manual line break. A newline in a value becomes "\a", which docxtpl turns
# into a new paragraph with the same formatting: a justified paragraph ending in a line break
# (<w:br/>) would be stretched across the line. Characters XML cannot hold are dropped (cells.py).
def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
        return UNSTORABLE.sub("", value).replace("\n", "\a")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def render(kind: str, lang: str, context: dict) -> bytes:
    """Render the ``kind`` template in ``lang`` with ``context``; returns the .docx bytes.

    Text is XML-escaped (``autoescape``), so ``&``, ``<``, ``>`` and quotes print as typed; a newline
    in a value starts a new paragraph; characters XML cannot hold are dropped.
    """
    path = template_path(kind, lang)
    compiled = _compiled(path)
    missing = set(compiled.variables) - set(context)
    if missing:
        raise DocumentError(
            f"template {path} needs variable(s) the context does not supply: {', '.join(sorted(missing))}"
        )
    tpl = DocxTemplate(io.BytesIO(compiled.data))
    try:
        tpl.render(_clean(dict(context)), compiled.env, autoescape=True)
    except TemplateError as exc:
        raise DocumentError(f"template {path} failed to render: {exc}") from exc
    if any(compiled.layouts):
        _refit_repeated_columns(tpl.docx, list(compiled.layouts))
    _stamp_properties(tpl.docx.core_properties, kind, lang, str(context.get("edition_name") or ""))
    _stamp_runs(tpl.docx.element.body, lang)  # the styles were stamped with the template (`_compiled`)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


# --- horizontally repeated columns ({%tc for %}) ---------------------------------------------
# docxtpl repeats the cell(s) between a "{%tc for …%}" cell and a "{%tc endfor %}" cell, then
# (fix_tables) gives every column of a grown table the same width. We give the widths back: the
# columns outside the loop keep the widths they have in the template, each repeated column gets the
# width of its template cell, and the table is scaled to the text width of the page.

_TC_FOR = re.compile(r"\{%-?\s*tc\s+for\b")
_TC_END = re.compile(r"\{%-?\s*tc\s+endfor\b")


def _tc_text(tc) -> str:
    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


_W_TR, _W_TC, _W_TCPR, _W_TCW = qn("w:tr"), qn("w:tc"), qn("w:tcPr"), qn("w:tcW")
_W_GRIDSPAN, _W_VAL, _W_W, _W_TYPE = qn("w:gridSpan"), qn("w:val"), qn("w:w"), qn("w:type")


def _span(tc) -> int:
    tcpr = tc.find(_W_TCPR)
    gs = tcpr.find(_W_GRIDSPAN) if tcpr is not None else None
    return int(gs.get(_W_VAL)) if gs is not None else 1


def _tc_loop_layouts(doc) -> list[tuple[list[int], list[int], list[int]] | None]:
    """Per top-level table of a template: (widths before, widths repeated, widths after) of its
    ``{%tc for %}`` loop, or None when the table has no such loop (or one we do not understand)."""
    out: list[tuple[list[int], list[int], list[int]] | None] = []
    for table in doc.tables:
        tbl = table._tbl
        grid = [int(gc.get(qn("w:w")) or 0) for gc in tbl.tblGrid.findall(qn("w:gridCol"))]
        found: set[tuple[int | None, int | None]] = set()
        for tr in tbl.tr_lst:
            pos, i_for, i_end = 0, None, None
            for tc in tr.tc_lst:
                text = _tc_text(tc)
                if _TC_FOR.search(text):
                    i_for = pos
                elif _TC_END.search(text):
                    i_end = pos
                pos += _span(tc)
            if i_for is not None or i_end is not None:
                found.add((i_for, i_end) if pos == len(grid) else (-1, -1))
        layout = None
        if len(found) == 1:
            i_for, i_end = next(iter(found))
            if i_for is not None and i_end is not None and 0 <= i_for < i_end - 1 and all(grid):
                layout = (grid[:i_for], grid[i_for + 1 : i_end], grid[i_end + 1 :])
        out.append(layout)
    return out


def _refit_repeated_columns(doc, layouts) -> None:
    tables = doc.tables
    if len(tables) != len(layouts):  # a conditional block dropped a table: keep docxtpl's widths
        return
    section = doc.sections[0]
    text_width = int((section.page_width - section.left_margin - section.right_margin) / 635)  # EMU -> twips
    for table, layout in zip(tables, layouts):
        if layout is None:
            continue
        before, body, after = layout
        tbl = table._tbl
        rows = [[(tc, _span(tc)) for tc in tr.iterchildren(_W_TC)] for tr in tbl.iterchildren(_W_TR)]
        ncols = max((sum(span for _tc, span in cells) for cells in rows), default=0)
        repeated = ncols - len(before) - len(after)
        if repeated < 0 or repeated % len(body):
            continue
        widths = before + body * (repeated // len(body)) + after
        scale = text_width / sum(widths)
        widths = [max(1, int(w * scale)) for w in widths]
        widths[widths.index(max(widths))] += text_width - sum(widths)
        grid = tbl.tblGrid
        for gc in grid.findall(qn("w:gridCol")):
            grid.remove(gc)
        for w in widths:
            gc = OxmlElement("w:gridCol")
            gc.set(qn("w:w"), str(w))
            grid.append(gc)
        tblw = tbl.tblPr.find(qn("w:tblW"))
        if tblw is None:
            tblw = OxmlElement("w:tblW")
            tbl.tblPr.append(tblw)
        tblw.set(qn("w:w"), str(text_width))
        tblw.set(qn("w:type"), "dxa")
        for cells in rows:
            pos = 0
            for tc, span in cells:
                tcpr = tc.find(_W_TCPR)
                tcw = tcpr.find(_W_TCW) if tcpr is not None else None
                if tcw is None:
                    tcw = tc.get_or_add_tcPr().get_or_add_tcW()
                tcw.set(_W_W, str(sum(widths[pos : pos + span])))
                tcw.set(_W_TYPE, "dxa")
                pos += span


def _lang_of(path: Path) -> str:
    """The language of a template file, from its name (<kind>.<lang>.docx)."""
    return path.name.rsplit(".", 2)[-2]


def _stamp_properties(props, kind: str, lang: str, edition: str) -> None:
    title = TITLES[kind][lang]
    props.title = f"{title} — «{edition}»" if edition else title
    props.author = props.last_modified_by = AUTHOR[lang]
    props.language = LOCALES[lang]
    props.comments = ""


def _stamp_styles(styles, lang: str) -> None:
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
    _set_lang([rpr] + list(styles.iter(qn("w:rPr"))), lang)


def _stamp_runs(body, lang: str) -> None:
    _set_lang(list(body.iter(qn("w:rPr"))), lang)


_W_LANG = qn("w:lang")
_LANG_ATTRS = tuple(qn(attr) for attr in ("w:val", "w:eastAsia", "w:bidi"))


def _set_lang(owners: list, lang: str) -> None:
    locale = LOCALES[lang]
    for owner in owners:
        if owner is None:
            continue
        el = owner.find(_W_LANG)
        if el is None:
            el = OxmlElement("w:lang")
            owner.append(el)
        for attr in _LANG_ATTRS:
            el.set(attr, locale)


# --------------------------------------------------------------------------- reading back


def _block_text(container) -> Iterator[str]:
    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            yield item.text
        elif isinstance(item, Table):
            yield from _table_text(item)


def _table_text(table: Table) -> Iterator[str]:
    seen: set = set()  # holds the elements themselves: lxml proxies of dropped elements reuse ids
    for row in table.rows:
        for cell in row.cells:
            if cell._tc in seen:  # a merged cell appears once per grid column it spans
                continue
            seen.add(cell._tc)
            yield from _block_text(cell)


def docx_text(data: bytes) -> str:
    """All text of a .docx, one paragraph a line: page headers first, then the body in order with
    table cells row by row (nested tables included), then page footers."""
    doc = Document(io.BytesIO(data))
    lines: list[str] = []
    for section in doc.sections:
        if not section.header.is_linked_to_previous or section is doc.sections[0]:
            lines.extend(_block_text(section.header))
    lines.extend(_block_text(doc))
    for section in doc.sections:
        if not section.footer.is_linked_to_previous or section is doc.sections[0]:
            lines.extend(_block_text(section.footer))
    return "\n".join(lines)


# --------------------------------------------------------------------------- PDF


def libreoffice() -> str | None:
    """The LibreOffice program that converts to PDF, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes) -> bytes:
    """Convert .docx bytes to PDF bytes with LibreOffice headless (private profile, 120 s timeout)."""
    exe = libreoffice()
    if exe is None:
        from pipelines import i18n

        said = i18n.Said("pdf_no_libreoffice")  # the note a person reads, in the edition's language
        raise DocumentError(str(said)) from said
    with tempfile.TemporaryDirectory(prefix="contest-pdf-") as tmp:
        tmpdir = Path(tmp)
        src = tmpdir / "document.docx"
        src.write_bytes(docx)
        outdir = tmpdir / "out"
        profile = (tmpdir / "profile").as_uri()
        cmd = [
            exe,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(src),
        ]
        env = dict(os.environ, HOME=str(tmpdir))
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True
        )  # own process group: a timeout kills all of it
        try:
            out, err = proc.communicate(timeout=SOFFICE_TIMEOUT)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            raise DocumentError(f"LibreOffice did not convert the document to PDF within {SOFFICE_TIMEOUT} s")
        pdf = outdir / "document.pdf"
        if proc.returncode != 0 or not pdf.is_file():
            detail = (err or out).decode("utf-8", "replace").strip()[-500:]
            raise DocumentError(
                f"LibreOffice failed to convert the document to PDF (exit {proc.returncode}): {detail or 'no output'}"
            )
        return pdf.read_bytes()
