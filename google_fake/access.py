"""Who may do what: the caller's token (identity and granted OAuth scopes) checked on every request
before its handler runs, as Google checks it.

- Scopes: each method of the discovery documents lists the scopes that allow it; a token granted
  none of them is refused 403 "Request had insufficient authentication scopes." (Drive adds the
  legacy reason `insufficientPermissions`; every API adds an ErrorInfo detail
  ACCESS_TOKEN_SCOPE_INSUFFICIENT). https://developers.google.com/workspace/drive/api/guides/handle-errors
  and https://cloud.google.com/apis/design/errors (ErrorInfo).
- `drive.file`: "Create new Drive files, or modify existing files, that you open with an app or that
  the user shares with an app" — a method allowed only through drive.file sees only the files the app
  created (files.create/copy, spreadsheets.create with this kind of token) or was handed
  (`FakeGoogle.open_with_app`, what Google Picker does). The others are invisible: Drive 404 notFound.
  https://developers.google.com/workspace/drive/api/guides/api-specific-auth
  A shared drive given by id is not a file: its root may be a parent (an assumption the preflight
  proves on the real account; a folder given by id needs the full `drive` scope).
- A file not shared with the caller: Drive 404 `notFound` ("File not found: <id>.", the Drive guide's
  "Resolve a 404 error: File not found"); Sheets 403 PERMISSION_DENIED "The caller does not have
  permission" (recorded: burnash/gspread tests/cassettes/ClientTest.test_access_private_spreadsheet.json,
  no `errors` list); Forms answers as Sheets does (same One Platform front end).
- Access is the caller's best role: direct, through a domain or anyone permission, through a folder
  of My Drive it sits in (sharing a folder shares what is in it), or as a member of its shared drive.
- Changing a file's permissions needs writer access and, where the owner set writersCanShare=false,
  the owner (Drive: "writersCanShare: Whether users with only writer permission can modify the
  file's permissions"; the refusal is 403 insufficientFilePermissions, "The user does not have
  sufficient permissions for this file."). In a shared drive writersCanShare does not exist
  ("Sharing can't be restricted by role in shared drives", guides/shared-drives-diffs): there the
  drive's own settings rule. Deleting a My Drive file needs its owner.
"""

from __future__ import annotations

from dataclasses import dataclass

from .util import ApiError, drive_not_found

AUTH = "https://www.googleapis.com/auth/"
DRIVE_FILE = AUTH + "drive.file"
PER_FILE = {DRIVE_FILE, AUTH + "drive.appdata"}
USER_TOKEN = "fake-user:"  # a person with their own token (Google's own UI: every scope)
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
APP_TOKEN = "fake-app:"  # an OAuth token issued to the app, with the scopes it was granted
ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}
NOT_SHARED = "The caller does not have permission"
NO_FILE_PERMISSION = "The user does not have sufficient permissions for this file."
# Sheets methods that change the spreadsheet (everything else only reads it)
SHEETS_WRITES: tuple[str, ...] = ("batchUpdate", "values.update", "values.append", "values.clear", "values.batchUpdate")
SHEETS_WRITES += ("values.batchClear", "values.batchUpdateByDataFilter", "values.batchClearByDataFilter")
SHEETS_WRITES += ("sheets.copyTo", "developerMetadata.")


@dataclass(frozen=True)
class Grant:
    email: str
    scopes: frozenset[str] | None  # None: not limited by scopes (a person in Google's own UI)


def issue_token(fake, email: str, scopes) -> str:
    """A token for `email`; with `scopes`, only what those scopes allow (an app's OAuth token)."""
    if scopes is None:
        return USER_TOKEN + email.lower()
    tokens = fake.__dict__.setdefault("tokens", {})
    token = f"{APP_TOKEN}{len(tokens) + 1}"
    tokens[token] = Grant(email.lower(), frozenset(_full(s) for s in scopes))
    return token


def _full(scope: str) -> str:
    return scope if scope.startswith("https://") else AUTH + scope


def grant_of(fake, headers: dict) -> Grant:
    auth = str(headers.get("authorization", ""))
    token = auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else ""
    if token.startswith(USER_TOKEN):
        return Grant(token[len(USER_TOKEN) :].lower(), None)
    issued = getattr(fake, "tokens", {}).get(token)
    if issued is not None:
        return issued
    return Grant(fake.identity, None)  # the fake's own tests: its identity, every scope


def scope_error(api: str, method_id: str) -> ApiError:
    service = {"sheets": "sheets", "drive": "drive", "forms": "forms", "gmail": "gmail"}.get(api, api)
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
            "metadata": {"service": f"{service}.googleapis.com", "method": method_id},
        }
    ]
    message = "Request had insufficient authentication scopes."
    if api in ("drive", "gmail"):  # the legacy errors[] list these APIs still send
        return ApiError(403, message, reason="insufficientPermissions", details=details)
    return ApiError(403, message, details=details)


def role_of(fake, f, email: str, _seen=None) -> str | None:
    """The caller's best role on a Drive file: direct, through a domain or anyone, as a member of
    its shared drive, or inherited from a folder it is in (My Drive)."""
    best = None
    domain = email.split("@")[-1]
    for p in fake.file_permissions(f):
        t = p.get("type")
        if (
            (t in ("user", "group") and str(p.get("emailAddress", "")).lower() == email)
            or (t == "domain" and p.get("domain") == domain)
            or t == "anyone"
        ):
            if best is None or ROLE_RANK.get(p["role"], 0) > ROLE_RANK.get(best, 0):
                best = p["role"]
    if f.drive_id is None:
        seen = _seen or set()
        for pid in f.parents:
            parent = fake.files.get(pid)
            if parent is None or pid in seen or parent.is_root:
                continue
            seen.add(pid)
            up = role_of(fake, parent, email, seen)
            if up is not None and (best is None or ROLE_RANK.get(up, 0) > ROLE_RANK.get(best, 0)):
                best = "writer" if up == "owner" else up  # a folder's owner is no file's owner
    return best


def drive_member_role(fake, drive_id: str, email: str) -> str | None:
    d = fake.drives.get(drive_id)
    if d is None:
        return None
    roles = [m["role"] for m in d.members if str(m.get("emailAddress", "")).lower() == email]
    return max(roles, key=lambda r: ROLE_RANK.get(r, 0)) if roles else None


def sees(fake, f, grant: Grant | None = None, per_file: bool | None = None) -> bool:
    """Whether the caller of the request being handled can see file `f` at all."""
    grant = grant or getattr(fake, "grant", None) or Grant(fake.identity, None)
    per_file = getattr(fake, "per_file", False) if per_file is None else per_file
    if f.is_root:
        return grant.email == fake.identity
    if per_file and f.id not in getattr(fake, "app_files", set()):
        return False
    return role_of(fake, f, grant.email) is not None


def check(fake, req) -> None:
    """Refuse the request as Google would, before its handler runs."""
    grant = grant_of(fake, req.headers)
    fake.grant = grant
    fake.per_file = False
    allowed = {_full(s) if s else "https://mail.google.com/" for s in req.method.spec.get("scopes", [])}
    if grant.scopes is not None and allowed:
        through = allowed & grant.scopes
        if not through:
            raise scope_error(req.api, req.method.id)
        fake.per_file = through <= PER_FILE
    api, short = req.api, req.method.short
    if api == "gmail" and short == "users.messages.list" and req.q("q") and grant.scopes is not None:
        # Gmail API reference, users.messages.list, `q`: "This parameter cannot be used when accessing
        # the api using the gmail.metadata scope." A token whose only way in is gmail.metadata is refused.
        if allowed & grant.scopes <= {GMAIL_METADATA}:
            raise ApiError(403, "Metadata scope does not support 'q' parameter", reason="forbidden")
    if api == "drive":
        _drive(fake, req, grant, short)
    elif api in ("sheets", "forms"):
        key = "spreadsheetId" if api == "sheets" else "formId"
        f = fake.files.get(req.path_params.get(key, ""))
        if f is None:
            return  # the handler answers "not found"
        if not sees(fake, f, grant):
            raise ApiError(403, NOT_SHARED)
        write = api == "sheets" and short.removeprefix("spreadsheets.").startswith(SHEETS_WRITES)
        if write and ROLE_RANK.get(role_of(fake, f, grant.email) or "", 0) < ROLE_RANK["writer"]:
            raise ApiError(403, NOT_SHARED)


def _drive(fake, req, grant: Grant, short: str) -> None:
    fid = req.path_params.get("fileId")
    if fid in fake.drives:  # permissions.* of a shared drive itself
        if drive_member_role(fake, fid, grant.email) is None:
            raise drive_not_found(fid)
        return
    listed = req.q("driveId") if short == "files.list" else None
    if listed is not None and listed in fake.drives and drive_member_role(fake, listed, grant.email) is None:
        raise ApiError(404, f"Shared drive not found: {listed}", reason="notFound", location="driveId")
    if fid is not None:
        f = fake.files.get(fake.root_id if fid == "root" else fid)
        if f is not None:
            if not sees(fake, f, grant):
                raise drive_not_found(fid)
            _may_change(fake, f, grant, short)
    parents = list((req.json() or {}).get("parents") or []) if short in ("files.create", "files.copy") else []
    parents += [p.strip() for p in (req.q("addParents") or "").split(",") if p.strip()]
    for pid in parents:
        _visible_parent(fake, pid, grant)


def _visible_parent(fake, pid: str, grant: Grant) -> None:
    if pid in fake.drives:
        if drive_member_role(fake, pid, grant.email) is None:
            raise drive_not_found(pid)
        return
    f = fake.files.get(fake.root_id if pid == "root" else pid)
    if f is not None and not f.is_root and not sees(fake, f, grant):
        raise drive_not_found(pid)


def _may_change(fake, f, grant: Grant, short: str) -> None:
    if short not in ("files.update", "files.delete", "permissions.create", "permissions.update", "permissions.delete"):
        return
    role = role_of(fake, f, grant.email) or ""
    rank = ROLE_RANK.get(role, 0)
    if rank < ROLE_RANK["writer"]:
        raise ApiError(403, NO_FILE_PERMISSION, reason="insufficientFilePermissions")
    if f.drive_id is None:
        if short == "files.delete" and role != "owner":
            raise ApiError(403, NO_FILE_PERMISSION, reason="insufficientFilePermissions")
        if short.startswith("permissions.") and role == "writer" and f.extra.get("writersCanShare") is False:
            raise ApiError(403, NO_FILE_PERMISSION, reason="insufficientFilePermissions")


def remember_created(fake, req, result) -> None:
    """A file made with an app's token is the app's: drive.file sees it from now on (one made by a
    person in Google's UI, or by the fake's own unscoped tests, is not)."""
    if (
        getattr(fake, "grant", None) is not None
        and fake.grant.scopes is not None
        and req.method.id in ("drive.files.create", "drive.files.copy", "sheets.spreadsheets.create")
    ):
        made = result.get("id") or result.get("spreadsheetId") if isinstance(result, dict) else None
        if made:
            fake.__dict__.setdefault("app_files", set()).add(made)


def hide_protected_editors(fake, ss_id: str, sheets: list[dict]) -> None:
    """Protected ranges as the caller sees them in spreadsheets.get: `editors` only for those who can
    edit the range ("editors: The users and groups with edit access to the protected range. This
    field is only visible to users with edit access to the protected range and the document.",
    Sheets API reference, ProtectedRange), `requestingUserCanEdit` false for the others."""
    grant = getattr(fake, "grant", None) or Grant(fake.identity, None)
    f = fake.files.get(ss_id)
    owner = f is not None and role_of(fake, f, grant.email) == "owner"
    domain = grant.email.split("@")[-1]
    for sheet in sheets:
        for pr in sheet.get("protectedRanges", []):
            editors = pr.get("editors") or {}
            can = (
                pr.get("warningOnly")
                or owner
                or grant.email in [u.lower() for u in editors.get("users", [])]
                or (editors.get("domainUsersCanEdit") and f is not None and domain == fake.identity.split("@")[-1])
            )
            if not can:
                pr.pop("editors", None)
            pr["requestingUserCanEdit"] = bool(can)
