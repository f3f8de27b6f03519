"""The interfaces the jobs need. Two backends implement them: backends/local/ and backends/google/.

Backends do I/O only. Everything the two share (layouts, rules, documents) is built before a call
reaches them, so neither repeats the other's logic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from openpyxl.utils import get_column_letter

from pipelines import holders
from pipelines.domain.models import Notice, RawResponse, ScoreCell
from pipelines.formats.digest import content_digest


class BackendError(Exception):
    """The backend could not do what was asked; the message tells the user what to fix.

    The subclasses say what kind of failure it was, so callers decide by type (and by `reason`)
    rather than by the message's words. `status` is the HTTP status and `reason` Google's error
    reason (e.g. "rateLimitExceeded", "notFound") where the backend had one; None otherwise."""

    def __init__(self, message: str = "", *, status: int | None = None, reason: str | None = None):
        super().__init__(message)
        self.message, self.status, self.reason = message, status, reason
        self.said: Any = None  # the same in kk/ru words (an i18n.Said) where the backend words it so


class NotFound(BackendError):
    """What was asked for does not exist (404; a file missing from the local workspace)."""


class PermissionDenied(BackendError):
    """The account (or the OS user) may not do it (401, 403 other than quotas; EACCES)."""


class QuotaExceeded(BackendError):
    """A rate limit or quota still refused after the retries ran out, or storage is full
    (429, 403 rateLimitExceeded / userRateLimitExceeded, 403 storageQuotaExceeded)."""


class Conflict(BackendError):
    """The state was not what the request assumed: precondition failed, already exists (409, 412)."""


class Unavailable(BackendError):
    """The service could not be reached or answered 5xx, after the retries ran out."""


class MailUnsure(BackendError):
    """A mail was handed to the mail service but its answer was lost, and the mailbox may not be
    asked whether it went (Gmail without backend.mail_lookup): it may or may not have arrived. Never
    counted as sent, never sent again by itself: `deliver_once` records it "unsure" and `status`
    lists it to CDB with the command that sends it again."""


class InvalidRequest(BackendError):
    """The service refused the request as malformed (400): a bug or a wrong setting."""


class Unreadable(BackendError):
    """The file is there but is not what it should be (an empty file, a password-protected or
    Strict Open XML workbook, an .ods or a CSV saved under the name): `found` says what it is."""

    def __init__(self, message: str = "", *, found: str = "", **kw: Any):
        super().__init__(message, **kw)
        self.found = found


class ChangedAfterFreeze(Unreadable):
    """A frozen rating sheet (or its frozen copy) whose content changed since the freeze: never
    read as the scores; a waiting stage's next close keeps the ratings its first close recorded."""


class ControlLost(BackendError):
    """The control tables of an edition that has started are missing or unreadable: every job
    refuses (pipelines/jobs/guard.py) rather than rebuild the edition from scratch. The message
    names what is missing and how to restore it."""


# --- rating sheets ---------------------------------------------------------------------------
def col_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (openpyxl's letters, 0-based here)."""
    return get_column_letter(col + 1)


def a1(row: int, col: int) -> str:
    """A1 notation of a 0-based (row, column): a1(0, 0) == "A1", a1(8, 5) == "F9"."""
    return f"{col_letter(col)}{row + 1}"


def text_lines(text: str, chars: float) -> int:
    """How many lines `text` takes wrapped at `chars` characters a line (words kept whole where
    they fit, a longer word broken): the height a row needs, which a store that keeps a written
    row's height (Excel, LibreOffice) cannot work out for itself."""
    total = 0
    for para in str(text).split("\n"):
        line, count = 0, 1
        for word in para.split(" "):
            n = len(word)
            if line and line + 1 + n > chars:
                count, line = count + 1, 0
            while n > chars:  # a long address is broken across lines
                count, n = count + 1, n - int(chars)
            line += n + (1 if line else 0)
        total += count
    return total


@dataclass
class Cell:
    """One cell of a sheet the pipeline writes. Formulas are only ever written by the pipeline."""

    value: Any = None  # str | int | float | None
    formula: str | None = None  # e.g. "=SUM(F8:L8)"; wins over value
    editable: bool = False  # the expert may type here (scores, comment)
    validation: tuple[int, int] | None = None  # whole number between the two, inclusive
    bold: bool = False
    wrap: bool = False
    hyperlink: str = ""  # the address the cell opens (its value shows the whole address)
    note: str = ""  # a note shown on hovering the cell (xlsx comment / Sheets note)
    prompt: str = ""  # the input help shown while the cell is selected (needs `validation`)
    error: str = ""  # the text shown when a value outside `validation` is refused
    span: int = 1  # merged with the cells to its right, this many columns in all
    boxed: bool = False  # a thin border around the cell (the table of a printed form)
    centered: bool = False  # centred horizontally (scores, numbers)


@dataclass
class SheetGrid:
    """A backend-neutral sheet: rows of cells from A1, plus presentation hints."""

    title: str  # the tab's title
    rows: list[list[Cell]]
    column_widths: list[int] = field(default_factory=list)  # in characters
    hidden_columns: list[int] = field(default_factory=list)  # 0-based
    frozen_rows: int = 0
    frozen_columns: int = 0  # columns kept in view when scrolling right
    row_heights: dict[int, float] = field(default_factory=dict)  # 0-based row -> points
    landscape: bool = False  # printed on landscape A4 at a readable size (formats/printing.py)
    repeat_rows: tuple[int, int] | None = None  # rows (first, last; 0-based) printed atop every page

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def editable_cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r, row in enumerate(self.rows) for c, cell in enumerate(row) if cell.editable]


@dataclass(frozen=True)
class SheetKey:
    """The idempotency key of one rating sheet (Drive appProperties / the local manifest)."""

    edition: str
    stage: int
    group: str
    expert: str  # e-mail
    version: int = 1
    kind: str = "rating_sheet"

    def properties(self) -> dict[str, str]:
        return {
            "edition": self.edition,
            "stage": str(self.stage),
            "group": self.group,
            "expert": self.expert,
            "kind": self.kind,
            "version": str(self.version),
        }

    def token(self) -> str:
        return f"{self.kind}/{self.edition}/s{self.stage}/{self.group}/{self.expert}/v{self.version}"


@dataclass
class SheetSpec:
    key: SheetKey
    name: str  # file name without extension
    folder: list[str]  # folder path below the edition's root, e.g. ["stage-1", "FIT-IS", "sheets"]
    grid: SheetGrid
    expert_name: str
    deadline_text: str
    share_message: str  # the notification text (names the deadline)
    share_subject: str = ""  # the notification's subject where the backend writes one (local .eml)


@dataclass
class SheetTab:
    """One tab of a rating sheet as read back: its title and its cells (RatingSheets.read_tabs)."""

    title: str
    cells: list[list[ScoreCell]]


@dataclass
class SheetRef:
    key: SheetKey
    id: str  # local: path relative to the workspace; google: spreadsheet id
    url: str  # local: file path; google: spreadsheetUrl
    created: bool = False


class RatingSheets(Protocol):
    def ensure(self, spec: SheetSpec) -> SheetRef:
        """Find the sheet by its key or create it with all content, validation and protection,
        shared with its expert only (writer). Never overwrites an existing sheet's scores."""

    def freeze(self, ref: SheetRef) -> None:
        """Stop the expert's edits (Google: writer -> reader; local: record the file's hash)."""

    def unfreeze(self, ref: SheetRef, message: str = "") -> None:
        """Undo `freeze` when a waiting stage is reopened (CDB moved its deadline): the expert may
        edit again and is told so with `message`, which names the new deadline (Google: reader ->
        writer, notified by Drive; local: the snapshot dropped, the file writable, a message in the
        outbox). Idempotent: a sheet that is not frozen is left as it is."""

    def read(self, ref: SheetRef) -> list[list[ScoreCell]]:
        """The sheet's cells as left by the expert: unformatted values and any formulas.
        After freeze, what was there at the freeze."""

    def recreate(self, spec: SheetSpec) -> SheetRef:
        """Make the sheet again from `spec` under its key, whatever is in its place now (a missing,
        renamed or unreadable file: set aside, never deleted), writable by its expert and not
        frozen (`contest recreate-sheet`). The share notice is not repeated: the job tells the expert."""

    def rebuild(self, ref: SheetRef, spec: SheetSpec) -> SheetRef:
        """The expert's sheet given `spec`'s content (a DER joined the stage by a recorded decision),
        writable by its expert and not frozen; what the expert typed is the job's to type back. No
        share notice: the job tells the expert. Local, memory: made again under its key, the old file
        set aside; Google: the same spreadsheet (the link the expert has keeps working), its tabs
        replaced by one made from `spec` in one batchUpdate."""

    def read_tabs(self, ref: SheetRef) -> list[SheetTab]:
        """Every tab of the sheet in the file's order, each as `read` gives the first one: the
        reader finds the rating tab by the identity written in it (rating_sheet.pick_tab), never
        by position. After freeze, what was there at the freeze."""

    def write_as_expert(self, ref: SheetRef, values: dict[tuple[int, int], Any]) -> None:
        """Type values into cells (0-based row, col) as the expert would: used by the demo and tests."""

    def changed_after_freeze(self) -> list[dict[str, Any]]:
        """Frozen sheets of the edition whose content changed after the freeze: one entry
        {"sheet" (id), "expert", "notice" (the message key of what was found: why_edited_after_freeze,
        why_frozen_copy_changed), "revision" (Google: modifiedTime; local: the changed
        file's SHA-256), "tabs" (list[SheetTab]: the changed content, for saying which cells)} each. The scores a close uses are never the changed ones:
        they are the frozen copy's (local, memory), or, where only the live sheet exists (Google),
        the sheet is not used at all and `read` says why."""

    def versions(self, refs: list[SheetRef]) -> dict[str, str]:
        """A stamp of each open sheet's content as it stands, known without reading it (local: the
        file's inode, mtime and size; Google: modifiedTime, one listing): the progress tab reads
        again only a sheet whose stamp moved. A sheet missing here (unknown, frozen, no file) is read."""

    def last_changed_by_us(self, refs: list[SheetRef]) -> set[str]:
        """The ids of those sheets whose last change was made by the pipeline's own account, as the
        listing `versions` took says (Google: Drive's lastModifyingUser.me). For a sheet this run
        has just made and shared, that means nobody typed into it yet: the progress tab needs not
        read it. Local and memory cannot tell who changed a file: the empty set (read it)."""

    def unchanged_since_freeze(self, refs: list[SheetRef]) -> set[str]:
        """The ids of those sheets a close froze and read earlier that nobody changed since, known
        without reading them (Google: one listing, modifiedTime as pinned at the freeze): a later
        close of a waiting stage takes what the earlier close read instead of reading them again.
        Local and memory read their frozen copies, cheap: the empty set."""

    def sharing(self) -> list[dict[str, str]]:
        """Every rating sheet with who can access it: [{sheet, email, role}]; for audit-sharing."""

    def made(self) -> list[SheetKey]:
        """The key of every rating sheet of the edition that exists (local: the manifest; Google:
        the appProperties search), whatever the control tables say: what tells the edition started."""


# --- control store ---------------------------------------------------------------------------
def grid_digest(grid: list[list[ScoreCell]]) -> str:
    """The content of a read sheet (values and formulas, cell by cell) as one short digest: what a
    freeze records and a later check compares."""
    import json

    cells = [[c.a1, repr(c.value), c.formula or ""] for row in grid for c in row if c.value is not None or c.formula]
    return content_digest(json.dumps(cells, ensure_ascii=False).encode())[:32]


def rows_as_dicts(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """A table read back (header row first) as dicts keyed by the header; blank rows dropped and
    short rows padded, as every store does it."""
    if not rows:
        return []
    header = [str(h) for h in rows[0]]
    out = []
    for row in rows[1:]:
        if any(v not in (None, "") for v in row):
            padded = ["" if v is None else v for v in row] + [""] * (len(header) - len(row))
            out.append(dict(zip(header, padded)))
    return out


def comparable(rows: list[list[Any]], as_text: Callable[[Any], str] = str) -> list[list[str]]:
    """Rows as text with trailing empty cells and rows dropped: how every store tells whether a
    table changed (a store may pad rows or drop trailing blanks on its own)."""
    out = [[as_text(v) for v in row] for row in rows]
    for row in out:
        while row and row[-1] == "":
            row.pop()
    while out and not out[-1]:
        out.pop()
    return out


@dataclass
class ControlHealth:
    """What the control store is, read without creating or changing anything (ControlStore.health).

    state: "ok" (readable; `tables` holds its tab titles), "missing" (no file / no spreadsheet),
    "empty" (a zero-byte file) or "unreadable" (`detail` says why)."""

    state: str
    where: str  # the file's path, or the spreadsheet's id / the search that found nothing
    backend: str  # "local" | "google": which way to restore it
    tables: list[str] = field(default_factory=list)
    detail: str = ""
    backups: str = ""  # local: the folder of the rotated copies (`contest restore`)
    # what the edition left beside the store, by kind (local: rating sheets, documents, frozen copies,
    # backups, outbox files on the disk), counted only when the store or its records are missing or
    # damaged: any of them means the edition started (jobs/guard.py). Google: its appProperties search.
    traces: dict[str, int] = field(default_factory=dict)
    records_missing: str = ""  # local: the workspace database, gone while the traces show it existed

    @property
    def ok(self) -> bool:
        return self.state == "ok"


@dataclass(frozen=True)
class TableLayout:
    """How a control table is shown to a person (sheets_schema/tables.yaml): presentation only,
    never read back. Computed before the call reaches a backend (pipelines/formats/tables.py)."""

    widths: tuple[int, ...] = ()  # per column, in characters
    wrapped: tuple[int, ...] = ()  # 0-based columns whose text wraps (long details, JSON)
    frozen_columns: int = 0  # the key columns kept in view when scrolling right (the header row always is)
    hidden: tuple[int, ...] = ()  # 0-based columns kept for the pipeline, hidden from view and print (raw JSON)
    dates: tuple[int, ...] = ()  # 0-based columns of moments (ISO 8601 text), shown as dates where the store can
    landscape: bool = True  # printed on landscape A4, one page wide, the header row on every page


class ControlStore(Protocol):
    """Named tables (the control workbook / spreadsheet): registry, stages, journal ..."""

    def read_table(self, name: str) -> list[dict[str, Any]]:
        """Rows as dicts keyed by the header row; [] when the table does not exist yet."""

    def read_tables(self, names: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Several tables at once, in one read where the backend can: {name: rows}, [] for a
        table that does not exist. Always what the store holds now (nothing is remembered)."""

    def write_tables(
        self,
        tables: dict[str, tuple[list[str], list[list[Any]]]],
        layouts: dict[str, TableLayout] | None = None,
    ) -> list[str]:
        """Replace whole tables at once ({name: (columns, rows)}), all in one write where the
        backend can. Text goes in as given (never parsed as a formula). Returns the names that
        actually changed; unchanged tables are not rewritten. A table rewritten is shown as its
        `layouts` entry says (widths, wrapping, frozen key columns, print setup) where the
        backend can show it."""

    def append_rows(
        self, name: str, columns: list[str], rows: list[list[Any]], layout: TableLayout | None = None
    ) -> None:
        """Append to a table (the journal), creating it with its header if absent; `layout` as
        for write_tables."""

    def settle(self) -> None:
        """The end of a job: rows held aside by `append_rows` go into their tables (a store that
        writes them at once has nothing to do)."""

    def close(self) -> None:
        """Let go of what the store holds open (local: the workspace database's connection, whose
        -wal and -shm files go with it); opened again on next use. For a job that ends unsettled."""

    def health(self) -> ControlHealth:
        """Whether the store exists and can be read, and its tables; creates nothing (Google: the
        control spreadsheet is looked for, never created, here)."""

    def hand_edits(self) -> list[Any]:
        """What a person changed since the product last wrote the tables (formats/witness.py
        TableEdit each; [] when nothing). Every read and write checks it and raises
        witness.ControlEdited instead of taking an edit silently."""

    def accept_hand_edits(self) -> None:
        """The tables as they are now become what the product last wrote (`contest accept-edits`)."""

    def undo_hand_edits(self) -> Any:
        """The tables put back as the product last wrote them (`contest undo-edits`): where the
        edited version is kept (a file set aside; the spreadsheet's address, whose version history
        keeps it), or None when there was nothing to undo."""

    def hold_lease(self, holder: str, now: datetime, seconds: float) -> str | None:
        """Take the edition's one lease for `holder` (holders.py: host, pid, start time) until
        now + seconds, or take it over once it expired or its holder is known to be gone (a crashed
        tick on this host): None when `holder` holds it, else who holds it and until when. While it
        is held the store renews it before it lapses (a long tick keeps a short lease). Where every
        writer is on one machine (the local workspace, whose lock in the workspace folder already
        serialises them) it is always granted."""

    def release_lease(self, holder: str) -> None:
        """Give the lease back if `holder` holds it."""

    def lease_held(self) -> Lease | None:
        """Who holds the edition's lease (or lock) now, since when, until when; None when free."""

    def clear_lease(self) -> Lease | None:
        """Clear the lease whoever holds it (`contest unlock`): what it was, None when it was free."""


@dataclass(frozen=True)
class Lease:
    """The edition's lease (or the local workspace's lock) as `status` shows it."""

    holder: str  # holders.py: host:pid:started:token
    since: str  # ISO-8601, "" when unknown
    until: str  # ISO-8601, "" for a lock held as long as its process runs

    def as_dict(self) -> dict[str, Any]:
        found = holders.parse(self.holder)
        return {
            "holder": self.holder,
            "host": found.host if found else "",
            "pid": found.pid if found else None,
            "since": self.since,
            "until": self.until,
        }


def lease_refusal(held: str, until: str, holder: str, now: datetime) -> str | None:
    """Whether a lease held by `held` until `until` (ISO-8601) keeps `holder` out at `now`: the
    rule every store's hold_lease applies. An unreadable expiry counts as expired; a holder known to
    be gone (a crashed tick on this very host, holders.gone) keeps nobody out."""
    if not held or held == holder or holders.gone(held):
        return None
    try:
        expires = datetime.fromisoformat(str(until))
    except ValueError:
        return None
    if expires.tzinfo is None or now.tzinfo is None:
        expires, now = expires.replace(tzinfo=None), now.replace(tzinfo=None)
    return f"{held} until {until}" if expires > now else None


# --- documents -------------------------------------------------------------------------------
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class DocKey:
    """The idempotency key of one document."""

    edition: str
    kind: str  # form01 | protocol_extract | form02 | final_protocol | results
    stage: int
    group: str
    subject: str  # application id, expert e-mail, or "-"
    version: int = 1

    def properties(self) -> dict[str, str]:
        return {
            "edition": self.edition,
            "kind": self.kind,
            "stage": str(self.stage),
            "group": self.group,
            "subject": self.subject,
            "version": str(self.version),
        }

    def token(self) -> str:
        return f"{self.kind}/{self.edition}/s{self.stage}/{self.group}/{self.subject}/v{self.version}"


@dataclass
class StoredDoc:
    key: DocKey
    path_or_url: str
    changed: bool = False


Content = bytes | Callable[[], bytes]  # the bytes, or how to make them when they are needed


@dataclass(frozen=True)
class PutPlan:
    """What `Drive.put` must do with one document, decided once for every backend (`plan_put`)."""

    write: bool  # the bytes must be (re)written
    data: bytes | None  # the content, when it had to be made
    digest: str | None
    remember_source: bool = False  # the same bytes, made from new inputs: record only the new source


def plan_put(
    *, stored_digest: str | None, stored_source: str | None, same_place: bool, content: Content, source: str | None
) -> PutPlan:
    """The idempotency rule of Drive.put. A document held in the same place and made from the same
    inputs (`source`) stands, and is not even rendered; one whose bytes did not change stands too;
    anything else is written. `stored_*` are None when the store holds no such document."""
    if same_place and source and stored_source == source:
        return PutPlan(False, None, stored_digest)
    data = content() if callable(content) else content
    digest = content_digest(data)
    if same_place and stored_digest == digest:
        return PutPlan(False, data, digest, remember_source=bool(source) and stored_source != source)
    return PutPlan(True, data, digest)


class Drive(Protocol):
    def put(
        self,
        key: DocKey,
        folder: list[str],
        filename: str,
        content: Content,
        mime: str = DOCX_MIME,
        *,
        source: str | None = None,
    ) -> StoredDoc:
        """Store the file in its folder, found again by key: created once, replaced only when the
        content changed. `source` is a digest of what the content is made from: when the stored
        file was made from the same source, `content` is not even called (rendering is costly)."""

    def put_pdf(self, key: DocKey, folder: list[str], filename: str, docx: bytes) -> StoredDoc:
        """A PDF of the .docx for publication (13.2). Raises BackendError saying what is missing
        when the backend cannot convert."""

    def can_make_pdf(self) -> bool:
        """Whether `put_pdf` can convert here now (local: LibreOffice is installed; Google: Drive
        exports), so a tick makes a PDF that is missing without trying what cannot work."""

    def access(self) -> list[dict[str, str]]:
        """Who can open what of the edition beyond the pipeline itself: every folder, document, rating
        sheet and the control store, and the shared drive's members. One entry per permission:
        {"file", "name", "kind" (folder | document | rating_sheet | control | shared_drive | file),
        "who" (an address, a domain or "anyone"), "role", "inherited" ("" or where it comes from)}.
        A store that shares nothing (the local workspace, memory) gives []."""

    def documents(self) -> list[StoredDoc]:
        """Every document the pipeline stored."""


# --- forms and mail --------------------------------------------------------------------------
class FormSource(Protocol):
    def read_responses(self) -> list[RawResponse]:
        """All responses as the source holds them, header -> raw text, with a stable row_key."""

    def taken_at(self) -> datetime | None:
        """When the responses `read_responses` gives were taken from the form: an export file's
        download (its modification time); None for a live source (the linked sheet, the Forms API),
        read as of now. Intake closes only on responses that cover the deadline (9.8)."""


class Mailer(Protocol):
    def notify(
        self, to: str, subject: str, body: str, *, key: str | None = None, attachments: tuple[str, ...] = ()
    ) -> bool:
        """Send a message; False when this backend cannot mail (the caller lists instead). `key`
        names the message for `delivered` (exactly once, `deliver_once`). `attachments`: files of the
        workspace to attach (local: the rating sheets a reminder is about); a backend whose files
        live online ignores them and the message carries the links instead."""

    def delivered(self, key: str) -> bool | None:
        """Whether the message sent under `key` went out: True / False, None when the backend
        cannot tell (then `deliver_once` never sends it again: at most once, reported)."""


# --- exactly once ------------------------------------------------------------------------------
class MessageLedger(Protocol):
    """Where each message to a person is recorded as intended before it is sent and as sent after
    (local: the journal or the manifest; Google: the control spreadsheet's journal)."""

    def message_state(self, key: str) -> str | None:
        """ "intended", "sent", or None when never recorded."""

    def record_message(self, key: str, state: str) -> None:
        """Record (durably, before returning) that the message is "intended" or "sent"."""


def deliver_once(
    ledger: MessageLedger, key: str, send: Callable[[], bool], delivered: Callable[[], bool | None]
) -> str:
    """Send one message to a person exactly once across retries and crashes (13 item 4).

    The intent is recorded before `send` and the outcome after. A crash between the two leaves
    "intended": the next run asks `delivered` (the .eml is in the outbox; the permission exists;
    the Gmail message with this key is in Sent) and records "sent" if it went, sends if it did not.
    When the backend cannot tell (a crash or a lost answer, and no mailbox look-up), the message is
    recorded "unsure": never sent again by itself, never counted as sent, listed to CDB (`status`)
    until CDB sends it again (a later "resend" row makes it due). Returns "sent", "already",
    "recovered", "unsure" or "not-sent" (the backend cannot mail)."""
    state = ledger.message_state(key)
    if state == "sent":
        return "already"
    if state == UNSURE:
        return UNSURE
    if state == "intended":
        went = delivered()
        if went:
            ledger.record_message(key, "sent")
            return "recovered"
        if went is None:
            ledger.record_message(key, UNSURE)
            return UNSURE
    else:
        ledger.record_message(key, "intended")
    try:
        if not send():
            return "not-sent"
    except MailUnsure:
        ledger.record_message(key, UNSURE)
        return UNSURE
    ledger.record_message(key, "sent")
    return "sent"


# --- returned files (the local workspace's inbox/) -----------------------------------------------
@dataclass(frozen=True)
class Returned:
    """A file CDB saved in the inbox: a rating sheet an expert mailed back, or anything else."""

    name: str  # its path under inbox/, as CDB saved it
    tabs: list[SheetTab]  # its tabs; [] when it cannot be read as a workbook
    readable: bool
    saved: datetime | None  # when it was last saved (the workbook's own time, else the file's)
    digest: str  # of its bytes


class Inbox(Protocol):
    """Where CDB saves the files experts send back (local workspace: inbox/, any name, any folder)."""

    def waiting(self) -> list[Returned]:
        """Every file waiting in the inbox, oldest save first (filed and set-aside ones excluded)."""

    def saved(self, ref: SheetRef) -> tuple[datetime | None, str]:
        """When the sheet in its place was last saved, and the digest of its bytes."""

    def file(self, item: Returned, ref: SheetRef) -> str:
        """Put the returned file in the sheet's place (the original kept under inbox/filed/);
        returns the sheet's path in the workspace."""

    def set_aside(self, item: Returned) -> str:
        """Move a file that is not filed under inbox/not-filed/ (never deleted); returns where."""


UNSURE = "unsure"  # a message that may not have arrived (deliver_once); RESEND: CDB asked it sent again
RESEND = "resend"


def ledger_state(states: list[str]) -> str | None:
    """A message's state from its ledger rows, oldest first: "sent" once any says so; after CDB's
    latest "resend" the rows before it no longer count (the message is due again)."""
    if "sent" in states:
        return "sent"
    if RESEND in states:
        states = states[len(states) - states[::-1].index(RESEND) :]
    if UNSURE in states:
        return UNSURE
    return "intended" if states else None


@dataclass
class Workspace:
    """The set of ports one backend provides, built once in the entry point."""

    forms: FormSource
    control: ControlStore
    sheets: RatingSheets
    drive: Drive
    mailer: Mailer
    description: str = ""  # for logs, in English
    place: Notice | None = None  # the same for people, worded by i18n.word in the edition's language
    stats: dict[str, Any] = field(default_factory=dict)  # request counts etc., for status and the demo
    inbox: Inbox | None = None  # local: the files CDB saves there (sheets experts mailed back)
    # told the job's time (--now) when a run starts: what a backend stamps on what it writes (the
    # local outbox's Date: and file names)
    clocks: list[Callable[[datetime], None]] = field(default_factory=list, repr=False)

    def act_at(self, now: datetime) -> None:
        for tell in self.clocks:
            tell(now)
