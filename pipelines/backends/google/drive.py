"""Drive: the folder tree, documents (found by appProperties, replaced only when changed), PDFs by
export; the form source (Forms API or the linked response sheet) and Gmail.

Every Drive call carries supportsAllDrives=True (files.export has no such parameter); lists add
includeItemsFromAllDrives=True and, with a shared drive configured, corpora=drive + driveId.
"""

from __future__ import annotations

import base64
import io
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl.utils import quote_sheetname

from pipelines.domain.models import RawResponse
from pipelines.formats.digest import content_digest
from pipelines.formats.mail import compose, message_id
from pipelines.i18n import Said
from pipelines.ports import (
    DOCX_MIME,
    PDF_MIME,
    BackendError,
    Conflict,
    Content,
    DocKey,
    MailUnsure,
    NotFound,
    PermissionDenied,
    StoredDoc,
    plan_put,
)

from .transport import Clients

FOLDER = "application/vnd.google-apps.folder"
SHEET = "application/vnd.google-apps.spreadsheet"
GDOC = "application/vnd.google-apps.document"
SHORTCUT = "application/vnd.google-apps.shortcut"
WORKSPACE = "application/vnd.google-apps."  # Google Workspace types (Docs, Sheets, folders, …)
FILE_FIELDS = "id,name,parents,appProperties"
OPEN_LINK = "https://drive.google.com/open?id="


def least_access(c: Clients, *, document: bool) -> dict[str, bool]:
    """What a new file carries so that nobody passes it on: a writer may not share it (Drive uses
    writersCanShare in My Drive only; in a shared drive the drive's own sharing settings rule) and,
    for a document (a protocol extract holds every score), a reader may not download, print or copy."""
    out = {} if c.backend.shared_drive_id else {"writersCanShare": False}
    if document:
        out["copyRequiresWriterPermission"] = True
    return out


def quote(text: str) -> str:
    """A string literal of Drive's query language."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def props_query(props: dict[str, str]) -> str:
    parts = [f"appProperties has {{ key={quote(k)} and value={quote(v)} }}" for k, v in props.items()]
    return " and ".join(parts + ["trashed = false"])


def list_files(c: Clients, q: str, fields: str = FILE_FIELDS) -> list[dict[str, Any]]:
    """Every file matching `q`, all pages."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        params = dict(q=q, fields=f"nextPageToken,files({fields})", pageSize=1000, **c.list_params())
        if token:
            params["pageToken"] = token
        page = c.run("drive", c.files.list(**params))
        out += page.get("files", [])
        token = page.get("nextPageToken")
        if not token:
            return out


def create_file(
    c: Clients, body: dict[str, Any], fields: str = FILE_FIELDS, *, temporary: bool = False, **params: Any
) -> dict[str, Any]:
    """files.create, made safe to send again: a folder or an upload kept in its own format (.docx,
    .pdf) with an id reserved beforehand (`create_reserved`); a Google Workspace file (a Sheet, an
    upload converted to a Google Doc), for which Drive refuses a reserved id, by its key
    (`create_keyed`). `temporary`: a file deleted once used."""
    if takes_reserved_id(body):
        return create_reserved(c, body, fields, temporary=temporary, **params)
    return create_keyed(c, body, fields, temporary=temporary, **params)


def takes_reserved_id(body: dict[str, Any]) -> bool:
    """Whether Drive accepts a pre-generated id for this create: folders, shortcuts and uploads that
    are not converted; never another Google Workspace type, nor an upload converted to one (Drive's
    guides "Create and manage files" and "Upload file data"; Google answers 400
    generatedIdNotSupported, googleapis/google-api-go-client#2334)."""
    mime = str(body.get("mimeType") or "")
    return not mime.startswith(WORKSPACE) or mime in (FOLDER, SHORTCUT)


def create_reserved(
    c: Clients, body: dict[str, Any], fields: str = FILE_FIELDS, *, temporary: bool = False, **params: Any
) -> dict[str, Any]:
    """files.create with an id reserved beforehand (files.generateIds). Sent again after a lost
    answer, the request carries the same id, so it cannot make a second file; whether the first
    attempt made it is asked by id (files.get), never by a search that may lag behind the create.
    Drive answers a create with an id already in use with 409: that file is ours, made by the
    attempt whose answer was lost. `temporary`: a file deleted once used (Clients.reserve_id)."""
    file_id = c.reserve_id(last=temporary)
    earlier = next((f for f in c.made_earlier() if _same_file(f, body)), None)
    if earlier is not None:  # an earlier run made it (a crash or a lost answer), search may not show it yet
        c.unreserve(file_id, last=temporary)
        return {
            **c.run("drive", c.files.get(fileId=earlier["id"], fields=fields, supportsAllDrives=True)),
            "recovered": True,
        }

    def get() -> dict[str, Any]:
        return c.run("drive", c.files.get(fileId=file_id, fields=fields, supportsAllDrives=True))

    def recover() -> tuple[bool, Any]:
        try:
            return True, get()
        except NotFound:
            return False, None

    request = c.files.create(body={**body, "id": file_id}, fields=fields, supportsAllDrives=True, **params)
    try:
        return c.run("drive", request, recover=recover)
    except Conflict:
        return get()


def key_of(props: dict[str, str]) -> str:
    """The ledger's key of a file: its identifying appProperties, in a stable order."""
    return "&".join(f"{k}={props[k]}" for k in sorted(props))


def create_keyed(
    c: Clients, body: dict[str, Any], fields: str = FILE_FIELDS, *, temporary: bool = False, **params: Any
) -> dict[str, Any]:
    """files.create WITHOUT an id for a Google Workspace file, exactly once by its key (the body's
    appProperties, the key it is found by; the caller has looked for it by key already):
    1. a file an earlier run claimed for this key in the ledger (hidden tab of the control
       spreadsheet) is taken by id (files.get: Drive's search may not show it yet);
    2. after a lost answer the file is looked for by key, patiently (Drive's search lags behind a
       create: asked again for SEARCH_PATIENCE seconds), before the create is sent again;
    3. the new file is claimed in the ledger (one write) before the caller shares anything from it.
    A second file of the key (a create applied but answered too late, or a crash between the create
    and the claim) is never claimed, so never shared: `settle_key` trashes it wherever a listing
    shows it. No intent row is written before the create: the key the create carries is what finds
    a file made before a crash, and a row would cost a Sheets write per file to say no more.
    `temporary`: a file deleted once used (the PDF's converted copy): no ledger, never shared."""
    props = dict(body.get("appProperties") or {})
    if not props:
        raise BackendError(f"a Google Workspace file is created with its key in appProperties: {body.get('name')}")
    key = key_of(props)
    if not temporary:
        claimed = c.ledger().get(key)
        earlier = _live(c, claimed, fields) if claimed else None
        if earlier is not None:  # made and claimed by an earlier run (a crash before its state was kept)
            return {**earlier, "recovered": True}
    sent = c.transports["drive"].read_limiter.clock()

    def recover() -> tuple[bool, Any]:
        found = _find_patiently(c, props, fields, sent)
        return found is not None, found

    request = c.files.create(body=body, fields=fields, supportsAllDrives=True, **params)
    made = c.run("drive", request, recover=recover)
    if not temporary:
        c.note_file(key, made["id"])  # claimed: the one file of this key, before anything is shared
    return made


SEARCH_PATIENCE = 60.0  # seconds a lost create's file is searched for before the create is sent again


def _find_patiently(c: Clients, props: dict[str, str], fields: str, since: float) -> dict[str, Any] | None:
    """The file of `props`, searched for until SEARCH_PATIENCE seconds after `since` (a create that
    was applied shows in Drive's search only once its index catches up); None if it never shows."""
    transport = c.transports["drive"]
    clock, pause = transport.read_limiter.clock, 2.0
    while True:
        found = list_files(c, props_query(props), _with(fields, "createdTime"))
        if found:
            return min(found, key=_age)
        left = since + SEARCH_PATIENCE - clock()
        if left <= 0:
            return None
        transport.sleep(min(pause, left))
        c.stats.waited += min(pause, left)
        pause *= 2


def _age(f: dict[str, Any]) -> tuple[str, str]:
    return str(f.get("createdTime") or ""), str(f.get("id") or "")


def _with(fields: str, extra: str) -> str:
    return fields if extra in fields.split(",") else f"{fields},{extra}"


def _live(c: Clients, file_id: str, fields: str) -> dict[str, Any] | None:
    """The file by id, or None if it is gone or in the trash."""
    try:
        f = c.run("drive", c.files.get(fileId=file_id, fields=_with(fields, "trashed"), supportsAllDrives=True))
    except NotFound:
        return None
    return None if f.get("trashed") else f


def shared_with_people(c: Clients, file_id: str) -> bool:
    """Whether anyone but the pipeline holds a permission given on the file itself (not inherited
    from a folder or the shared drive)."""
    me = (c.whoami() or "").lower()
    for p in permissions(c, file_id):
        details = p.get("permissionDetails") or []
        direct = not details or any(not d.get("inherited") for d in details)
        if direct and p.get("role") != "owner" and str(p.get("emailAddress", "")).lower() != me:
            return True
    return False


def pick_of_key(
    c: Clients, props: dict[str, str], candidates: list[dict[str, Any]], fields: str = FILE_FIELDS
) -> tuple[dict[str, Any], bool]:
    """The one file of key `props` among `candidates` (files a listing or a look-up found with it),
    asking but writing nothing: the one the ledger claims (taken by id when search does not show it
    yet), else one shared with people, else the oldest. And whether the ledger claims it."""
    claimed = c.ledger().get(key_of(props), "")
    keep = next((f for f in candidates if f["id"] == claimed), None)
    if keep is None and claimed:
        keep = _live(c, claimed, fields)
    if keep is not None:
        return keep, True
    shared = [f for f in candidates if shared_with_people(c, f["id"])] if len(candidates) > 1 else []
    return min(shared or candidates, key=_age), False


def settle_key(
    c: Clients, props: dict[str, str], candidates: list[dict[str, Any]], fields: str = FILE_FIELDS
) -> dict[str, Any]:
    """`pick_of_key`, then claimed in the ledger if it was not; every other candidate is a second
    file of the key left by a create whose answer was lost (or a crash before its claim): it is
    trashed, never shared — unless someone was already given it, which is left for a person."""
    keep, claimed = pick_of_key(c, props, candidates, fields)
    if not claimed:
        c.note_file(key_of(props), keep["id"])
    for f in candidates:
        if f["id"] != keep["id"] and not shared_with_people(c, f["id"]):
            with c.stats.operation("trash second file"):
                c.run("drive", c.files.update(fileId=f["id"], body={"trashed": True}, supportsAllDrives=True))
    return keep


def _same_file(f: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether `f` is the file `body` would create: a folder by name and parent, anything else by
    its appProperties (the key it is found by)."""
    if f.get("mimeType") != body.get("mimeType") and body.get("mimeType"):
        return False
    props = body.get("appProperties") or {}
    if not props:
        return f.get("name") == body.get("name") and (f.get("parents") or []) == (body.get("parents") or [])
    held = f.get("appProperties") or {}
    return all(held.get(k) == v for k, v in props.items())


def permissions(c: Clients, file_id: str) -> list[dict[str, Any]]:
    """Every permission of a file, folder or shared drive (all pages), inherited ones included."""
    out, token = [], None
    while True:
        params: dict[str, Any] = dict(
            fileId=file_id,
            supportsAllDrives=True,
            pageSize=100,
            fields="nextPageToken,permissions(id,type,role,emailAddress,domain,permissionDetails)",
        )
        if token:
            params["pageToken"] = token
        page = c.run("drive", c.permissions.list(**params))
        out += page.get("permissions", [])
        if not (token := page.get("nextPageToken")):
            return out


def _kind(f: dict[str, Any]) -> str:
    props = f.get("appProperties") or {}
    if f.get("mimeType") == FOLDER:
        return "folder"
    if props.get("kind") in ("rating_sheet", "control"):
        return str(props["kind"])
    return "document" if props.get("contest") == "document" else "file"


def file_url(file_id: str) -> str:
    return f"https://drive.google.com/file/d/{file_id}/view"


class Folders:
    """edition / stage-N / group / … under backend.root_folder_id, the shared drive's root or My Drive;
    each found by name + parent before it is created, and remembered. The folders under a parent are
    listed once, all names at a time, and a folder this run created has none to look for: a new
    group's folders cost their creates alone."""

    def __init__(self, c: Clients):
        self.c = c
        self.cache: dict[tuple[str, ...], str] = {}
        self._children: dict[str, dict[str, str]] = {}  # parent id -> folder name -> id (listed or made)

    def root(self) -> str:
        return self.c.backend.root_folder_id or self.c.backend.shared_drive_id or "root"

    def adopt(self, folder_id: str) -> None:
        """The edition's own folder is `folder_id`, made by the caller (`contest preflight`'s
        scratch folder, created with its key): used as it is, never looked up by name."""
        self.cache[(self.c.edition_name,)] = folder_id
        self._children.setdefault(folder_id, {})

    def path(self, parts: list[str]) -> str:
        parent, key = self.root(), tuple[str, ...]()
        for name in [self.c.edition_name, *parts]:
            key += (name,)
            if key not in self.cache:
                with self.c.stats.operation("find folder"):
                    self.cache[key] = self._find_or_create(parent, name)
            parent = self.cache[key]
        return parent

    def _listed(self, parent: str) -> dict[str, str]:
        """The folders in `parent` by name (the first listed wins, as a search by name would)."""
        if parent not in self._children:
            q = f"{quote(parent)} in parents and mimeType = '{FOLDER}' and trashed = false"
            found: dict[str, str] = {}
            for f in list_files(self.c, q, "id,name"):
                found.setdefault(str(f.get("name", "")), f["id"])
            self._children[parent] = found
        return self._children[parent]

    def _find_or_create(self, parent: str, name: str) -> str:
        listed = self._listed(parent)
        if name in listed:
            return listed[name]
        made = create_file(self.c, {"name": name, "mimeType": FOLDER, "parents": [parent]}, "id")["id"]
        listed[name] = made
        self._children[made] = {}  # just made: nothing in it yet
        return made


def _media(content: bytes, mime: str):
    from googleapiclient.http import MediaIoBaseUpload

    return MediaIoBaseUpload(io.BytesIO(content), mimetype=mime, resumable=False)


def _doc_key(p: dict[str, str]) -> DocKey:
    return DocKey(p["edition"], p["kind"], int(p["stage"]), p["group"], p["subject"], int(p["version"]))


class GoogleDrive:
    """Documents found by their DocKey in appProperties (plus `digest` of the content)."""

    def __init__(self, c: Clients, folders: Folders):
        self.c, self.folders = c, folders
        self._index: dict[str, dict[str, dict[str, Any]]] = {}

    def _marker(self, edition: str | None = None) -> dict[str, str]:
        return {"edition": edition or self.c.edition, "contest": "document"}

    def _docs(self, edition: str | None = None) -> dict[str, dict[str, Any]]:
        """token -> Drive file of every document of the edition (one paged list, then remembered)."""
        edition = edition or self.c.edition
        if edition not in self._index:
            with self.c.stats.operation("list documents"):
                files = list_files(self.c, props_query(self._marker(edition)))
            self._index[edition] = {}
            for f in files:
                try:
                    self._index[edition][_doc_key(f.get("appProperties", {})).token()] = f
                except (KeyError, ValueError):
                    continue  # someone else's file with our marker: not a document of ours
        return self._index[edition]

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
        with self.c.stats.operation("put document"):
            existing = self._docs(key.edition).get(key.token())
            had = existing.get("appProperties", {}) if existing else {}
            plan = plan_put(
                stored_digest=had.get("digest"),
                stored_source=had.get("source"),
                content=content,
                same_place=existing is not None and self._same_place(existing, folder, filename),
                source=source,
            )
            if existing and not plan.write and not plan.remember_source:
                return StoredDoc(key, file_url(existing["id"]))
            assert plan.data is not None  # made: the document is written, or its new source recorded
            return self._store(
                key, folder, filename, plan.data, mime or DOCX_MIME, {"source": source} if source else {}
            )

    def _same_place(self, f: dict[str, Any], folder: list[str], filename: str) -> bool:
        return f.get("name") == filename and self.folders.path(folder) in f.get("parents", [])

    def _store(
        self, key: DocKey, folder: list[str], filename: str, content: bytes, mime: str, extra: dict[str, str]
    ) -> StoredDoc:
        props = {**key.properties(), **self._marker(key.edition), "digest": content_digest(content), **extra}
        existing = self._docs(key.edition).get(key.token())
        if existing:
            had = existing.get("appProperties", {})
            same = had.get("digest") == props["digest"] and self._same_place(existing, folder, filename)
            if same and all(had.get(k) == v for k, v in props.items()):
                return StoredDoc(key, file_url(existing["id"]))
            body = {"name": filename, "appProperties": {**{k: None for k in had if k not in props}, **props}}
            params: dict[str, Any] = dict(fileId=existing["id"], body=body, fields=FILE_FIELDS, supportsAllDrives=True)
            if not same:
                params["media_body"] = _media(content, mime)
                parent = self.folders.path(folder)
                if parent not in existing.get("parents", []):
                    params.update(addParents=parent, removeParents=",".join(existing.get("parents", [])))
            stored = self.c.run("drive", self.c.files.update(**params))
        else:
            new: dict[str, Any] = {
                "name": filename,
                "parents": [self.folders.path(folder)],
                "appProperties": props,
                **least_access(self.c, document=True),
            }
            stored = create_file(self.c, new, media_body=_media(content, mime))
            same = False
        self._docs(key.edition)[key.token()] = stored
        return StoredDoc(key, file_url(stored["id"]), changed=not same)

    def can_make_pdf(self) -> bool:
        return True  # Drive converts the .docx to a Google Doc and exports it as PDF

    def put_pdf(self, key: DocKey, folder: list[str], filename: str, docx: bytes) -> StoredDoc:
        """Upload a converted copy (a Google Doc), export it as PDF, store the PDF, delete the copy."""
        with self.c.stats.operation("put pdf"):
            source = content_digest(docx)
            existing = self._docs(key.edition).get(key.token())
            if existing and existing.get("appProperties", {}).get("source_digest") == source:
                return StoredDoc(key, file_url(existing["id"]))
            parent = self.folders.path(folder)
            # the converted copy is a Google Doc: Drive refuses a reserved id for it. After a lost
            # answer it is looked for by its key (patiently: search lags) before it is sent again
            copy = create_file(
                self.c,
                {
                    "name": f"{Path(filename).stem} (converting)",
                    "mimeType": GDOC,
                    "parents": [parent],
                    "appProperties": {"edition": self.c.edition, "contest": "temporary", "source_digest": source},
                },
                "id",
                temporary=True,
                media_body=_media(docx, DOCX_MIME),
            )
            try:
                pdf = self.c.run("drive", self.c.files.export(fileId=copy["id"], mimeType=PDF_MIME))
            finally:
                try:
                    self.c.run("drive", self.c.files.delete(fileId=copy["id"], supportsAllDrives=True))
                except BackendError:
                    pass  # a leftover converted copy is untidy, not wrong
            if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
                raise BackendError(f"Drive did not return a PDF for {filename}")
            return self._store(key, folder, filename, pdf, PDF_MIME, {"source_digest": source})

    def access(self) -> list[dict[str, str]]:
        """Every permission on the edition's folder tree, every file in it (whatever moved there),
        and the shared drive's members: one files.list of the drive (or My Drive) and one
        permissions.list per file. Inherited permissions are listed too (`inherited` says from where)."""
        with self.c.stats.operation("audit access"):
            top = self.folders.path([])
            files = list_files(self.c, "trashed = false", "id,name,mimeType,parents,appProperties")
            children: dict[str, list[dict[str, Any]]] = {}
            for f in files:
                for parent in f.get("parents", []):
                    children.setdefault(parent, []).append(f)
            tree, todo = [{"id": top, "name": self.c.edition_name, "mimeType": FOLDER}], [top]
            while todo:  # everything below the edition's folder
                for f in children.get(todo.pop(), []):
                    tree.append(f)
                    if f.get("mimeType") == FOLDER:
                        todo.append(f["id"])
            me = (self.c.whoami() or "").lower()
            out = []
            targets = [(f["id"], f.get("name", ""), _kind(f)) for f in tree]
            if self.c.backend.shared_drive_id:
                targets.append((self.c.backend.shared_drive_id, "shared drive", "shared_drive"))
            for fid, name, kind in targets:
                for p in permissions(self.c, fid):
                    who = str(p.get("emailAddress") or p.get("domain") or p.get("type", "")).lower()
                    if who == me:
                        continue
                    details = p.get("permissionDetails") or []
                    inherited = (
                        ""
                        if kind == "shared_drive" or not details or any(not d.get("inherited") for d in details)
                        else str(details[0].get("inheritedFrom", "?"))
                    )
                    out.append(
                        {
                            "file": fid,
                            "name": name,
                            "kind": kind,
                            "who": who,
                            "role": str(p.get("role", "")),
                            "inherited": inherited,
                        }
                    )
            return out

    def documents(self) -> list[StoredDoc]:
        files = {t: f for edition in {self.c.edition, *self._index} for t, f in self._docs(edition).items()}
        return [StoredDoc(_doc_key(f["appProperties"]), file_url(f["id"])) for _t, f in sorted(files.items())]


# --- forms -------------------------------------------------------------------------------------
class GoogleFormSource:
    """form.kind sheet: the linked response spreadsheet (gspread); forms_api: Forms API v1;
    file: an export file, as in the local workspace."""

    page_size = 5000  # forms.responses.list page size (the API's maximum)

    def __init__(self, c: Clients, form, file_path: Path | None = None):
        self.c, self.form, self.file_path = c, form, file_path
        self._first_tab: str | None = None
        self._time_zone: str | None = None  # the linked sheet's properties.timeZone, once read

    def read_responses(self) -> list[RawResponse]:
        from pipelines.formats.forms import ExportFile, FormError

        try:
            with self.c.stats.operation("read form responses"):
                if self.form.kind == "forms_api":
                    return self._forms_api()
                if self.form.kind == "sheet":
                    return self._sheet()
            if self.file_path is None:
                raise FormError("form_no_path")
            return ExportFile(self.file_path, self.form.aliases).read_responses()
        except FormError as exc:
            raise BackendError(str(exc)) from None

    def taken_at(self) -> datetime | None:
        """The linked sheet and the Forms API are read live (None); an export file: its download."""
        from pipelines.formats.forms import ExportFile

        if self.form.kind in ("forms_api", "sheet") or self.file_path is None:
            return None
        return ExportFile(self.file_path, self.form.aliases).taken_at()

    def _forms_api(self) -> list[RawResponse]:
        from pipelines.formats.forms import FormError, unique_titles

        form_id = self.form.form_id
        if not form_id or self.c.forms is None:
            raise FormError("form_no_form_id")
        form = self.c.run("forms", self.c.forms.get(formId=form_id))
        questions: list[tuple[str, str]] = []
        for item in form.get("items", []):
            title = str(item.get("title", "")).strip()
            if "questionItem" in item:
                questions.append((item["questionItem"]["question"]["questionId"], title))
            for q in item.get("questionGroupItem", {}).get("questions", []):
                questions.append((q["questionId"], f"{title} [{q.get('rowQuestion', {}).get('title', '')}]"))
        titles = unique_titles([t for _, t in questions])
        responses, token = [], None
        while True:
            params: dict[str, Any] = {"formId": form_id, "pageSize": self.page_size}
            if token:
                params["pageToken"] = token
            assert self.c.responses is not None  # built when form.kind is forms_api
            page = self.c.run("forms", self.c.responses.list(**params))
            responses += page.get("responses", [])
            token = page.get("nextPageToken")
            if not token:
                break
        responses.sort(key=lambda r: (r.get("createTime", ""), r["responseId"]))
        out = []
        for number, r in enumerate(responses, start=1):
            answers = {"Timestamp": r.get("lastSubmittedTime", ""), "Email Address": r.get("respondentEmail", "")}
            given = r.get("answers", {})
            for (qid, _), title in zip(questions, titles):
                answers[title] = _answer_text(given.get(qid, {}))
            out.append(
                RawResponse(row_key=r["responseId"], row_number=number, answers=answers, source=f"form {form_id}")
            )
        return out

    def _sheet(self) -> list[RawResponse]:
        from pipelines.formats.forms import FormError, load_aliases, responses_from_rows

        sid = self.form.spreadsheet_id
        if not sid or self.c.gspread is None:
            raise FormError("form_no_spreadsheet_id")
        http, sheets = self.c.gspread.http_client, self.c.transports["sheets"]
        if self._time_zone is None:  # asked once: the sheet's time zone, and the first tab if none named
            fields = "properties.timeZone" + ("" if self.form.worksheet else ",sheets.properties(title,index)")
            meta = sheets.call(
                "spreadsheets.get",
                lambda: http.fetch_sheet_metadata(sid, params={"fields": fields}),
                beat=self.c.heartbeat,
            )
            self._time_zone = str((meta.get("properties") or {}).get("timeZone") or "")
            tabs = sorted((s["properties"] for s in meta.get("sheets", [])), key=lambda p: p.get("index", 0))
            if not self.form.worksheet and not tabs:
                raise FormError("form_no_tabs", id=sid)
            if tabs:
                self._first_tab = tabs[0]["title"]
        name = self.form.worksheet or self._first_tab
        rng = quote_sheetname(str(name))
        # unformatted: numbers and times as numbers (a timestamp is a serial day number that
        # forms.parse_time reads), never text in the sheet's locale (docs/google.md "Writing cells safely")
        data = sheets.call(
            "spreadsheets.values.get",
            lambda: http.values_get(
                sid, rng, params={"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
            ),
            beat=self.c.heartbeat,
        )
        rows = responses_from_rows(
            data.get("values", []),
            "responses",
            where=f"sheet {sid} (tab {name!r})",
            source=f"sheet {sid}",
            aliases=load_aliases(self.form.aliases),
        )
        return [replace(r, time_zone=self._time_zone or "") for r in rows]


def _answer_text(answer: dict[str, Any]) -> str:
    if "fileUploadAnswers" in answer:
        return ", ".join(OPEN_LINK + a["fileId"] for a in answer["fileUploadAnswers"].get("answers", []))
    return ", ".join(str(a.get("value", "")) for a in answer.get("textAnswers", {}).get("answers", []))


# --- mail --------------------------------------------------------------------------------------
class GoogleMailer:
    """Gmail users.messages.send when backend.gmail; otherwise False (the caller lists instead)."""

    def __init__(self, c: Clients):
        self.c = c

    def delivered(self, key: str) -> bool | None:
        """Whether the mail sent under `key` is in the sending mailbox: messages.list with
        q="rfc822msgid:<its Message-ID>" (derived from the key). None, asking nothing, when Gmail is
        off or the lookup is not opted into (backend.mail_lookup: the gmail.readonly scope, which
        reads the whole mailbox): then deliver_once never sends twice and writes each intent just
        before its message. None too when Google refuses the lookup (a scope not granted)."""
        if self.c.messages is None or not self.c.backend.mail_lookup:
            return None
        return mail_found(self.c, message_id(key, self.c.backend.sender))

    def notify(
        self, to: str, subject: str, body: str, *, key: str | None = None, attachments: tuple[str, ...] = ()
    ) -> bool:
        return send_mail(self.c, to, subject, body, key=key)  # the sheet is on Drive: the body links it


LOOKUP_PAUSES = (0.0, 2.0, 4.0)  # a mail just sent may show in Gmail's search a moment later


def mail_found(c: Clients, msgid: str, pauses: tuple[float, ...] = (0.0,)) -> bool | None:
    """Whether the mail with Message-ID `msgid` is in the sending mailbox (messages.list,
    q="rfc822msgid:…"), asked after each pause until found; None when Google refuses the look-up
    (the gmail.readonly scope not granted)."""
    transport, messages = c.transports["gmail"], c.messages
    assert messages is not None  # asked only with backend.gmail
    with c.stats.operation("look up sent mail"):
        for pause in pauses:
            if pause:
                transport.sleep(pause)
                c.stats.waited += pause
            try:
                found = c.run("gmail", messages.list(userId="me", q=f"rfc822msgid:{msgid}", maxResults=1))
            except PermissionDenied:
                return None
            if found.get("messages"):
                return True
    return False


def send_mail(c: Clients, to: str, subject: str, body: str, *, key: str | None = None) -> bool:
    """Gmail users.messages.send when backend.gmail (else False: the caller lists instead). A mail
    with an idempotency `key` carries a Message-ID derived from it, so a run can ask Gmail whether
    it went (GoogleMailer.delivered).

    A send whose answer was lost (a timeout; with the look-up, a 5xx or 429 too, since Google may
    have applied it) is settled as a crash-interrupted one: where the mailbox may be asked
    (backend.mail_lookup) the mail is looked up by its Message-ID and sent again only if absent;
    where not, nothing can tell whether it went: MailUnsure (deliver_once records it "unsure",
    never as sent, and `status` lists it to CDB with the command that sends it again)."""
    if c.messages is None:
        return False
    msgid = message_id(key, c.backend.sender) if key else None
    msg = compose(to, subject, body, sender=c.backend.sender, msgid=msgid)
    raw = base64.urlsafe_b64encode(bytes(msg)).decode("ascii")
    lookup = bool(c.backend.mail_lookup and msgid)

    def recover() -> tuple[bool, Any]:
        if lookup:
            went = mail_found(c, str(msgid), LOOKUP_PAUSES)
            if went is not None:
                return went, None
        said = Said("mail_unsure", to=to)  # kk/ru where it is shown (i18n.error_text)
        raise MailUnsure(str(said)) from said

    with c.stats.operation("send mail"):
        try:
            c.run("gmail", c.messages.send(userId="me", body={"raw": raw}), recover=recover, recover_always=lookup)
        except Conflict as exc:  # Gmail says 400 failedPrecondition: no mailbox to send from
            if exc.reason not in ("failedPrecondition", "FAILED_PRECONDITION"):
                raise
            raise PermissionDenied(
                "backend.gmail: Gmail refused to send (failedPrecondition). A service account sends mail "
                "only through domain-wide delegation of the gmail.send scope, as the mailbox named in "
                "backend.sender; set both, use backend.auth: oauth, or set backend.gmail: false",
                status=exc.status,
                reason=exc.reason,
            ) from exc
    return True
