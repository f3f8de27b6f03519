"""`contest preflight` on Google: once each kind of request an edition makes, on scratch files.

Everything it makes carries appProperties edition=contest-preflight (the scratch folder also
kind=preflight) and lives in one scratch folder of the shared drive (or of backend.root_folder_id),
so that the end of the run — or the next run, after a crash — finds it by that key and deletes it.
The requests are the product's own: the rating sheet is created and filled by GoogleRatingSheets
(protection, validation, notes), the documents stored by GoogleDrive.put / put_pdf, the form read
by the configured form source, the mail sent by send_mail. Each step returns what Google answered;
the job (pipelines/jobs/preflight.py) says whether that is what was expected.
"""

from __future__ import annotations

from typing import Any

from pipelines.i18n import Said
from pipelines.ports import BackendError, DocKey, NotFound, PermissionDenied, SheetRef, SheetSpec, Workspace

from .drive import FOLDER, Folders, GoogleDrive, create_file, list_files, props_query, send_mail
from .sheets import GoogleRatingSheets, grid_requests

PREFLIGHT_EDITION = "contest-preflight"  # the key every scratch file carries (appProperties edition)
SCRATCH_FOLDER = "contest preflight (scratch files, safe to delete)"
SEARCH_WAIT = 5.0  # seconds between two searches while Drive's index catches up with the creates
SEARCHES = 7  # at most ~30 s of waiting: Drive's search usually shows a new file within seconds


def google_preflight(workspace: Workspace) -> GooglePreflight:
    """The preflight steps on the Google workspace `workspace` (opened by open_google)."""
    if not isinstance(workspace.sheets, GoogleRatingSheets):
        said = Said("preflight_google_only")
        raise BackendError(str(said)) from said
    return GooglePreflight(workspace)


class GooglePreflight:
    """The steps. Each is one kind of request (or a few that belong together) and returns what
    Google answered; a refusal raises the ports' typed error (BackendError)."""

    def __init__(self, workspace: Workspace):
        assert isinstance(workspace.sheets, GoogleRatingSheets)
        self.c = workspace.sheets.c.for_edition(PREFLIGHT_EDITION, SCRATCH_FOLDER)
        self.folders = Folders(self.c)
        self.sheets = GoogleRatingSheets(self.c, self.folders)
        self.drive = GoogleDrive(self.c, self.folders)
        self.forms = workspace.forms
        self.edition = PREFLIGHT_EDITION
        self.folder_name = SCRATCH_FOLDER
        self.description, self.place = workspace.description, workspace.place
        self.made: list[str] = []  # ids of what this run made, in order

    # --- the steps -----------------------------------------------------------------------------
    def scratch_folder(self) -> dict[str, Any]:
        """The scratch folder, keyed, in the shared drive (or root folder) the edition uses."""
        body = {
            "name": SCRATCH_FOLDER,
            "mimeType": FOLDER,
            "parents": [self.folders.root()],
            "appProperties": {"edition": PREFLIGHT_EDITION, "kind": "preflight"},
        }
        made = create_file(self.c, body, "id")
        self.made.append(made["id"])
        self.folders.adopt(made["id"])
        return {"id": made["id"]}

    def rating_sheet(self, spec: SheetSpec) -> dict[str, Any]:
        """A spreadsheet made as a rating sheet is made (the file with its key, then the one
        batchUpdate of content, validation, notes and protection), then read back: how many
        protected ranges, validation rules and notes Google holds."""
        with self.c.stats.operation("create sheet"):
            created = self.sheets._create_file(spec)
            sid = created["id"]
            self.made.append(sid)
            body = {"requests": grid_requests(spec.grid, self.sheets._editors())}
            self.c.run("sheets", self.c.spreadsheets.batchUpdate(spreadsheetId=sid, body=body))
        meta = self.c.run(
            "sheets",
            self.c.spreadsheets.get(
                spreadsheetId=sid,
                includeGridData=True,
                fields="sheets(protectedRanges(protectedRangeId),data.rowData.values(note,dataValidation.strict))",
            ),
        )
        cells = [
            value
            for sheet in meta.get("sheets", [])
            for data in sheet.get("data") or []
            for row in data.get("rowData") or []
            for value in row.get("values") or []
        ]
        return {
            "id": sid,
            "protected": sum(len(s.get("protectedRanges") or []) for s in meta.get("sheets", [])),
            "validations": sum(1 for v in cells if v.get("dataValidation")),
            "notes": sum(1 for v in cells if v.get("note")),
        }

    def write_and_read(self, ref: SheetRef, cell: tuple[int, int], value: Any) -> Any:
        """`value` typed into `cell` (as an expert types, USER_ENTERED), then the sheet read back."""
        self.sheets.write_as_expert(ref, {cell: value})
        rows = self.sheets.read(ref)
        r, c = cell
        return rows[r][c].value if r < len(rows) and c < len(rows[r]) else None

    def share_then_reader(self, sheet_id: str, email: str) -> str | None:
        """`email` made a writer without Google's notification mail, then a reader (as a stage's
        close does); returns the role Google then shows for them."""
        perm = self.c.run(
            "drive",
            self.c.permissions.create(
                fileId=sheet_id,
                body={"type": "user", "role": "writer", "emailAddress": email},
                sendNotificationEmail=False,
                supportsAllDrives=True,
                fields="id,role",
            ),
        )
        self.c.run(
            "drive",
            self.c.permissions.update(
                fileId=sheet_id,
                permissionId=perm["id"],
                body={"role": "reader"},
                supportsAllDrives=True,
                fields="id,role",
            ),
        )
        return self.sheets._expert_role(sheet_id, email)

    def document(self, docx: bytes) -> dict[str, Any]:
        """A .docx stored as the product stores a document (GoogleDrive.put)."""
        return self._stored(DocKey(PREFLIGHT_EDITION, "preflight", 0, "-", "docx"), docx, pdf=False)

    def pdf(self, docx: bytes) -> dict[str, Any]:
        """Its PDF, made as the product makes one (GoogleDrive.put_pdf: a converted copy, exported)."""
        return self._stored(DocKey(PREFLIGHT_EDITION, "preflight", 0, "-", "pdf"), docx, pdf=True)

    def _stored(self, key: DocKey, docx: bytes, *, pdf: bool) -> dict[str, Any]:
        name = f"contest-preflight.{'pdf' if pdf else 'docx'}"
        if pdf:
            self.drive.put_pdf(key, [], name, docx)
        else:
            self.drive.put(key, [], name, docx)
        stored = self.drive._docs(PREFLIGHT_EDITION)[key.token()]
        self.made.append(stored["id"])
        return {"id": stored["id"]}

    def search(self) -> int:
        """How many of this run's files a files.list by appProperties finds. Drive's search lags
        behind its writes: asked again for up to SEARCHES × SEARCH_WAIT seconds until all show."""
        sleep = self.c.transports["drive"].sleep
        found: set[str] = set()
        for attempt in range(SEARCHES):
            if attempt:
                sleep(SEARCH_WAIT)
            found = {f["id"] for f in self._keyed()}
            if all(i in found for i in self.made):
                break
        return sum(1 for i in self.made if i in found)

    def form_responses(self) -> int:
        """How many responses the configured form source gives."""
        return len(self.forms.read_responses())

    def mail(self, to: str, subject: str, body: str) -> bool:
        """One mail through Gmail (backend.gmail); False when Gmail is off."""
        return send_mail(self.c, to, subject, body)

    def whoami(self) -> str | None:
        return self.c.whoami()

    # --- what is left behind -----------------------------------------------------------------------
    def _keyed(self) -> list[dict[str, Any]]:
        return list_files(self.c, props_query({"edition": PREFLIGHT_EDITION}), "id,name,mimeType")

    def clean(self) -> tuple[int, int]:
        """Delete everything carrying the key (an earlier, crashed run's files too) and this run's
        files a lagging search may not show yet: files first, folders last. A file the account may
        not delete (a Content manager of a shared drive may only trash) is trashed. Returns
        (deleted, still there)."""
        found = {f["id"]: f for f in self._keyed()}
        for file_id in self.made:
            found.setdefault(file_id, {"id": file_id})
        order = sorted(found.values(), key=lambda f: f.get("mimeType") == FOLDER)
        deleted = 0
        for f in order:
            try:
                try:
                    self.c.run("drive", self.c.files.delete(fileId=f["id"], supportsAllDrives=True))
                except PermissionDenied:
                    self.c.run(
                        "drive",
                        self.c.files.update(
                            fileId=f["id"], body={"trashed": True}, supportsAllDrives=True, fields="id"
                        ),
                    )
                deleted += 1
            except NotFound:
                continue  # gone already (with its folder, or by hand)
        left = 0
        for f in order:
            try:
                got = self.c.run("drive", self.c.files.get(fileId=f["id"], fields="id,trashed", supportsAllDrives=True))
            except NotFound:
                continue
            left += 0 if got.get("trashed") else 1
        self.made = []
        return deleted, left
