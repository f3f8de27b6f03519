"""Context dicts -> docxtpl Word templates -> .docx bytes (and PDF through LibreOffice).

The templates live in ``docx_templates/<kind>.<lang>.docx``, package data of the top-level
``docx_templates`` package (override the folder with the ``CONTEST_TEMPLATES`` environment variable). They are plain Word files that CDB staff may restyle;
``tools/build_templates.py`` wrote the first version.

Each kind has a context contract (``CONTEXT_KEYS``): the caller passes exactly these keys, values
already formatted as text where they are numbers or dates (plain str/int/float/list/dict). A
template may use any subset of its contract; ``render`` refuses to run a template that asks for a
variable the context does not supply, naming the variables and the template.

A template is prepared once per file version and each document is filled directly into it (see
"the direct fill" below: about 1–3 ms a document); docxtpl's whole render stays as the reference
(``render_through_docxtpl``), byte for byte the same parts.

Documents (regulation АТУ-ЖИЦДО-ІӘЕ-7.5.1-2025-04):
  form01            cover letter of one application (form Ү. ЖИЦДО-7.5.1-2025-04-01; 9.6, 9.7)
  protocol_extract  extract from the minutes of stage 1 (department) / stage 2 (faculty) (9.4.1, 9.4.2, 9.7)
  form02            one expert's evaluation sheet (form Ү. ЖИЦДО-7.5.1-2025-04-02; 11.2)
  final_protocol    the contest commission's protocol after stage 3 (9.4.3, 9.11, 11.1-11.3)
  results           the results for publication as PDF (11.4, 13.2)
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap as docx_nsmap
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateError

from pipelines.digest import Digested
from pipelines.domain import form01

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
    },
    "results": COMMON_KEYS
    | {
        "winners",  # [{place, id, title, authors, score}]
        "ranking",  # [{rank, id, title, authors, faculty, department, score, raters, place}]
        "ceremony",
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
    from pipelines.digest import content_digest

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
    parts: dict[str, bytes]  # the template's zip members: what a render leaves alone is copied as is
    direct: _Direct | None = None  # the direct fill (see _Direct); None: every render goes through docxtpl


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
        layouts = tuple(_tc_loop_layouts(Document(io.BytesIO(data))))
        for old in [k for k in _TEMPLATES if k[0] == key[0]]:  # an edited template replaces its old version
            del _TEMPLATES[old]
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        try:
            direct = _direct_plan(data, path, env, parts)
        except TemplateError as exc:  # a tag error in a header or footer
            raise DocumentError(f"template {path} has a tag error: {exc}") from exc
        found = _TEMPLATES[key] = _Template(data, variables, layouts, env, parts, direct)
    return found


# --------------------------------------------------------------------------- rendering

# Characters XML 1.0 forbids (form answers pasted from other programs carry some); a vertical tab
# is Word's manual line break. A newline in a value becomes "\a", which docxtpl turns into a new
# paragraph with the same formatting: a justified paragraph ending in a line break (<w:br/>) would
# be stretched across the line.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
        return _ILLEGAL_XML.sub("", value).replace("\n", "\a")
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
    edition = str(context.get("edition_name") or "")
    try:
        if compiled.direct is not None:
            return compiled.direct.fill(_clean(dict(context)), list(compiled.layouts), kind, lang, edition)
        return _render_docxtpl(compiled, _clean(dict(context)), kind, lang, edition)
    except TemplateError as exc:
        raise DocumentError(f"template {path} failed to render: {exc}") from exc


def render_through_docxtpl(kind: str, lang: str, context: dict) -> bytes:
    """The same document made the long way: docxtpl opens the template package, renders it and
    python-docx's objects are saved. The reference the direct fill is checked against (tests), and
    the path of a template with parts the direct fill does not handle (footnotes, tags in the
    document properties)."""
    path = template_path(kind, lang)
    compiled = _compiled(path)
    try:
        return _render_docxtpl(compiled, _clean(dict(context)), kind, lang, str(context.get("edition_name") or ""))
    except TemplateError as exc:
        raise DocumentError(f"template {path} failed to render: {exc}") from exc


def _render_docxtpl(compiled: _Template, context: dict, kind: str, lang: str, edition: str) -> bytes:
    layouts = list(compiled.layouts)
    tpl = DocxTemplate(io.BytesIO(compiled.data))
    tpl.render(context, compiled.env, autoescape=True)
    if any(layouts):
        _refit_repeated_columns(tpl.docx, layouts)
    stamp(tpl.docx, kind, lang, edition)
    return _save(tpl.docx, compiled)


# The parts a render writes (the body, headers, footers, notes, the document properties, and the
# styles, whose proofing language `stamp` sets); every other part of the package (numbering, theme,
# fonts …) is the template's own, so it is copied from the template instead of serialised again.
_RENDERED_PARTS = re.compile(
    r"^word/(?:document|header\d*|footer\d*|footnotes|endnotes|styles)\.xml$|^docProps/core\.xml$"
)


def _save(docx: Any, template: _Template) -> bytes:
    """The package as python-docx's save writes it (the same members, content types and rels)."""
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem

    package = docx.part.package
    parts = list(package.iter_parts())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr(CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob)
        out.writestr(PACKAGE_URI.rels_uri.membername, package.rels.xml)
        for part in parts:
            name = part.partname.membername
            original = template.parts.get(name)
            if original is not None and not _RENDERED_PARTS.match(name):
                out.writestr(name, original, compresslevel=1)  # large and repetitive: level 1 is enough
            else:
                out.writestr(name, part.blob)
            if len(part.rels):
                out.writestr(part.partname.rels_uri.membername, part.rels.xml)
    return buf.getvalue()


# --- the direct fill ---------------------------------------------------------------------------
# docxtpl, for every document, opens the template package (python-docx parses each XML part, the
# 350 kB styles among them), serialises the body, rewrites its tags for Jinja, renders it, parses
# the result and saves the whole package again. Of that only the Jinja render, the parse of its
# result and the body's serialisation depend on the context. The direct fill does the rest once per
# template: the body's Jinja source, the package's members in python-docx's order with every part a
# render leaves alone (styles stamped with the proofing language, untagged headers and footers,
# rels, content types) compressed once, and the document properties. Each document then costs the
# render of the body (and of any tagged header or footer) by docxtpl's own steps, the same column
# fitting and proofing stamp on the result, and a zip written from the stored members. The parts
# come out byte for byte as the docxtpl path writes them (tests/test_documents_direct.py).

_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_JINJA = ("{{", "{%", "{#")
_CORE_RENDERED = ("author", "comments", "identifier", "language", "subject", "title")  # docxtpl's list
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same inputs give the same bytes (a put then stands)


_P_OPEN = re.compile(r"<w:p([ >])")
_P_LINE = re.compile(r"\n<w:p([ >])")
_LISTING = ("\t", "\a", "\n", "\f")  # what docxtpl's resolve_listing turns into runs and paragraphs


def _tagged(text: str) -> bool:
    return any(mark in text for mark in _JINJA)


@dataclass(frozen=True)
class _Member:
    """A zip member compressed once: its name, CRC, size, deflated bytes and the bytes themselves
    (for the document's content digest)."""

    name: str
    crc: int
    size: int
    deflated: bytes
    data: bytes


def _member(name: str, data: bytes, level: int = 6) -> _Member:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return _Member(name, zlib.crc32(data), len(data), packer.compress(data) + packer.flush(), data)


def _digested(members: list[_Member]) -> Digested:
    """The zip of `members` with its `content_digest` worked out from the bytes at hand (the same
    sum digest.content_digest makes by unzipping it: each member's name and bytes, by name)."""

    def digest() -> str:
        made = hashlib.sha256()
        for m in sorted(members, key=lambda m: m.name):
            made.update(m.name.encode() + b"\0" + m.data + b"\0")
        return made.hexdigest()

    return Digested(_zip(members), digest)


def _zip(members: list[_Member]) -> bytes:
    """A zip of deflated members (no data descriptors, no zip64: a document is far below 4 GB)."""
    dos_time = (_ZIP_TIME[3] << 11) | (_ZIP_TIME[4] << 5) | (_ZIP_TIME[5] // 2)
    dos_date = ((_ZIP_TIME[0] - 1980) << 9) | (_ZIP_TIME[1] << 5) | _ZIP_TIME[2]
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        name = m.name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        fields = (20, flags, zipfile.ZIP_DEFLATED, dos_time, dos_date, m.crc, len(m.deflated), m.size, len(name))
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + name
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, *fields, 0, 0, 0, 0, 0o600 << 16, offset) + name
        )
        chunks += [header, m.deflated]
        offset += len(header) + len(m.deflated)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(chunks) + directory + end


class _Direct:
    """A template prepared for the direct fill (see above); made once per template file version."""

    def __init__(self, tpl: DocxTemplate, env: Environment, body: str, members: list[_Member | str]):
        self.tpl, self.env, self.members = tpl, env, members
        self.body = self._jinja(body)
        doc = tpl.docx
        shell = copy.deepcopy(doc.element)  # the w:document around the body, to copy for each document
        shell.replace(shell.body, OxmlElement("w:body"))
        self.shell = shell
        self.document_name = doc.part.partname.membername
        self.core_name = doc.part.package._core_properties_part.partname.membername
        self.core = doc.core_properties._element  # as docxtpl and `stamp` leave it, but for the title
        self.headers: dict[str, Any] = {}  # membername -> compiled source, of headers and footers with tags
        self._cores: dict[tuple[str, str, str], _Member] = {}

    def fill(self, context: dict, layouts: list, kind: str, lang: str, edition: str) -> bytes:
        """The .docx of one context: what docxtpl's render, `_refit_repeated_columns`, `stamp` and
        `_save` make, from the prepared parts."""
        tpl = self.tpl
        tree = tpl.fix_tables(self._render(self.body, context))
        for n, elt in enumerate(tree.xpath("//wp:docPr", namespaces=docx_nsmap), start=1001):
            elt.attrib["id"] = str(n)  # docxtpl's fix_docpr_ids
        root = copy.deepcopy(self.shell)
        root.replace(root.body, tree)
        del tree  # its proxy is lxml's plain element: python-docx's classes come with the next look-up
        if any(layouts):  # tables and page size read from `root`; the part is only the template's
            _refit_repeated_columns(DocxDocument(root, tpl.docx.part), layouts)
        _stamp_runs(root.body, lang)
        rendered = {self.document_name: _member(self.document_name, serialize_part_xml(root))}
        rendered[self.core_name] = self._core(kind, lang, edition)
        for name, source in self.headers.items():
            xml = self._render(source, context)
            data = serialize_part_xml(parse_xml(xml.encode(tpl.get_headers_footers_encoding(xml))))
            rendered[name] = _member(name, data)
        return _digested([m if isinstance(m, _Member) else rendered[m] for m in self.members])

    def _jinja(self, source: str) -> Any:
        """docxtpl's render_xml_part, its first half: each paragraph on a line of its own, compiled."""
        return self.env.from_string(_P_OPEN.sub(r"\n<w:p\1", source))

    def _render(self, template: Any, context: dict) -> str:
        """docxtpl's render_xml_part, its second half, on the compiled source: rendered, the lines
        joined again, escaped braces restored, and tabs, line and page breaks in values made runs
        and paragraphs (resolve_listing; it changes nothing where there is none, and is skipped)."""
        xml = _P_LINE.sub(r"<w:p\1", template.render(context))
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        if any(mark in xml for mark in _LISTING):
            xml = self.tpl.resolve_listing(xml)
        return xml

    def _core(self, kind: str, lang: str, edition: str) -> _Member:
        key = (kind, lang, edition)
        found = self._cores.get(key)
        if found is None:
            from docx.opc.coreprops import CoreProperties

            core = copy.deepcopy(self.core)
            _stamp_properties(CoreProperties(core), kind, lang, edition)
            if len(self._cores) > 64:  # an edition has one name: a few entries at most
                self._cores.clear()
            found = self._cores[key] = _member(self.core_name, serialize_part_xml(core))
        return found


def _direct_plan(data: bytes, path: Path, env: Environment, originals: dict[str, bytes]) -> _Direct | None:
    """The template prepared for the direct fill, or None when it has what only docxtpl's own
    render handles: footnotes (docxtpl renders them as text), tags in the document properties, no
    document properties at all (python-docx makes them anew, stamped with the time, per document)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem

    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    doc = tpl.docx
    package = doc.part.package
    if not any(rel.reltype == RELATIONSHIP_TYPE.CORE_PROPERTIES for rel in package.rels.values()):
        return None
    parts = list(package.iter_parts())
    if any(part.content_type == _FOOTNOTES for part in parts):
        return None
    props = doc.core_properties
    if any(_tagged(getattr(props, name) or "") for name in _CORE_RENDERED):
        return None
    for name in _CORE_RENDERED:  # docxtpl's render_properties: untagged text stays as it is
        setattr(props, name, env.from_string(getattr(props, name)).render({}))
    _stamp_styles(doc.styles.element, _lang_of(path))
    headers: dict[str, str] = {}
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _rel, part in tpl.get_headers_footers(uri):
            source = tpl.patch_xml(tpl.get_part_xml(part))
            if _tagged(source):
                headers[part.partname.membername] = source
            else:  # rendered once: no context changes it
                xml = tpl.render_xml_part(source, part, {}, env)
                part._element = parse_xml(xml.encode(tpl.get_headers_footers_encoding(xml)))
    body = tpl.patch_xml(tpl.get_xml())
    document_name = doc.part.partname.membername
    core_name = package._core_properties_part.partname.membername
    members: list[_Member | str] = [
        _member(CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob),
        _member(PACKAGE_URI.rels_uri.membername, package.rels.xml),
    ]
    for part in parts:
        name = part.partname.membername
        if name in (document_name, core_name) or name in headers:
            members.append(name)
        else:
            original = originals.get(name)
            blob = original if original is not None and not _RENDERED_PARTS.match(name) else part.blob
            members.append(_member(name, blob, 9))
        if len(part.rels):
            members.append(_member(part.partname.rels_uri.membername, part.rels.xml))
    direct = _Direct(tpl, env, body, members)
    direct.headers = {name: direct._jinja(source) for name, source in headers.items()}
    return direct


def _lang_of(path: Path) -> str:
    """The language of a template file, from its name (<kind>.<lang>.docx)."""
    return path.name.rsplit(".", 2)[-2]


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


def stamp(doc, kind: str, lang: str, edition: str = "") -> None:
    """Title, author and language of the document in its own language: the core properties (the
    PDF takes its title and author from them) and the proofing language of every run (kk-KZ / ru-RU)."""
    _stamp_properties(doc.core_properties, kind, lang, edition)
    _stamp_styles(doc.styles.element, lang)
    _stamp_runs(doc.element.body, lang)


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


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes) -> bytes:
    """Convert .docx bytes to PDF bytes with LibreOffice headless (private profile, 120 s timeout)."""
    exe = _soffice()
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
