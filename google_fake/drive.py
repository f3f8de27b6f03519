"""Drive v3 files.* handlers."""

from __future__ import annotations

import base64
import copy

from . import access, docs
from .drive_model import DOC, EXPORTABLE, SHEET, DriveFile
from .drive_query import compile_query, invalid
from .registry import DEFAULT_FIELDS, Raw, handles
from .sheets import build_spreadsheet
from .sheets_model import to_extended
from .util import ApiError, parse_rfc3339

# Drive v3 answers with a minimal field set unless `fields` is given.
_FILE_DEFAULT = "kind,id,name,mimeType"
for _m in ("create", "get", "update", "copy"):
    DEFAULT_FIELDS[f"drive.files.{_m}"] = _FILE_DEFAULT
DEFAULT_FIELDS["drive.files.list"] = "kind,incompleteSearch,nextPageToken,files(kind,id,name,mimeType)"

WRITABLE = {
    "name",
    "mimeType",
    "description",
    "starred",
    "trashed",
    "appProperties",
    "properties",
    "parents",
    "contentHints",
    "writersCanShare",
    "modifiedTime",
    "copyRequiresWriterPermission",
    "viewersCanCopyContent",
    "folderColorRgb",
    "originalFilename",
    "contentRestrictions",
    "createdTime",
    "id",
    "viewedByMeTime",
    "shortcutDetails",
    "inheritedPermissionsDisabled",
    "downloadRestrictions",
    "driveId",
    "teamDriveId",
}
EXTRA_KEYS = (
    "contentHints",
    "writersCanShare",
    "copyRequiresWriterPermission",
    "viewersCanCopyContent",
    "folderColorRgb",
    "originalFilename",
    "contentRestrictions",
    "shortcutDetails",
    "downloadRestrictions",
)
ORDER_KEYS = {
    "createdTime",
    "folder",
    "modifiedByMeTime",
    "modifiedTime",
    "name",
    "name_natural",
    "quotaBytesUsed",
    "recency",
    "sharedWithMeTime",
    "starred",
    "viewedByMeTime",
}


def _not_writable(key: str, update: bool) -> ApiError:
    if key == "parents" and update:
        return ApiError(
            403,
            "The parents field is not directly writable in update requests. "
            "Use the addParents and removeParents parameters instead.",
            reason="fieldNotWritable",
        )
    return ApiError(
        403, "The resource body includes fields which are not directly writable.", reason="fieldNotWritable"
    )


def _check_writable(meta: dict, update: bool) -> None:
    for key in meta:
        bad = key not in WRITABLE or (update and key in ("parents", "id", "createdTime", "driveId", "teamDriveId"))
        if bad or (not update and key in ("driveId", "teamDriveId")):
            raise _not_writable(key, update)


def _merge_map(current: dict, patch: dict | None) -> dict:
    out = dict(current)
    for k, v in (patch or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = str(v)
    return out


def _set_content(fake, f: DriveFile, media: bytes | None, media_type: str | None) -> None:
    if media is None:
        return
    if f.mime_type == DOC:
        f.text = docs.extract_text(media, media_type)
        f.content = media if (media_type == docs.DOCX or media[:2] == b"PK") else None
    elif f.mime_type == SHEET:
        ss = fake.spreadsheets[f.id]
        sheet = ss.first_sheet()
        sheet.cells.clear()
        rows = docs.import_rows(media, media_type)
        sheet.ensure_size(len(rows), max((len(r) for r in rows), default=0))
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                ext = to_extended(v, "USER_ENTERED", "media")
                if ext:
                    sheet.cells[(r, c)] = {"userEnteredValue": ext}
    elif f.is_folder or f.native:
        raise ApiError(400, f"Media upload is not supported for {f.mime_type}", reason="badContent")
    else:
        f.content = bytes(media)


def _apply_meta(fake, f: DriveFile, meta: dict) -> None:
    if "name" in meta:
        f.name = meta["name"] or "Untitled"
        if f.mime_type == SHEET and f.id in fake.spreadsheets:
            fake.spreadsheets[f.id].properties["title"] = f.name
    if "description" in meta:
        f.description = meta["description"]
    if "starred" in meta:
        f.starred = bool(meta["starred"])
    if "trashed" in meta:
        f.trashed = bool(meta["trashed"])
    f.app_properties = _merge_map(f.app_properties, meta.get("appProperties"))
    f.properties = _merge_map(f.properties, meta.get("properties"))
    for key in EXTRA_KEYS:
        if key in meta:
            f.extra[key] = copy.deepcopy(meta[key])


@handles("drive.files.create")
def files_create(fake, req):
    meta = req.json()
    _check_writable(meta, update=False)
    sad = req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives")
    parents = meta.get("parents") or [fake.root_id]
    if len(parents) > 1:
        raise ApiError(403, "Increasing the number of parents is not allowed", reason="cannotAddParent")
    parent_id, drive_id = fake.resolve_parent(parents[0], sad)
    mime = meta.get("mimeType") or req.media_type or "application/octet-stream"
    fake.check_storage([parent_id], mime)
    file_id = meta.get("id") or fake.new_file_id()
    if file_id in fake.files:
        raise ApiError(409, "A file already exists with the provided ID.", reason="duplicate")
    name = meta.get("name") or "Untitled"
    f = DriveFile(file_id, name, mime, [parent_id], drive_id, fake.clock, fake.clock)
    if "createdTime" in meta:
        f.created = _seconds(fake, meta["createdTime"])
    if drive_id is None:
        f.permissions.append(fake.owner_permission())
    _apply_meta(fake, f, {k: v for k, v in meta.items() if k != "name"})
    if mime == SHEET:
        fake.spreadsheets[file_id] = build_spreadsheet(fake, {"properties": {"title": name}}, file_id)
    elif mime == DOC:
        f.text = ""
    if req.media is not None:
        _set_content(fake, f, req.media, req.media_type)
    elif not f.native:
        f.content = b""
    fake.files[file_id] = f
    return fake.file_resource(f)


def _seconds(fake, text: str) -> float:
    try:
        return (parse_rfc3339(text) - fake.epoch).total_seconds()
    except ValueError:
        raise ApiError(400, f"Invalid value for createdTime: {text}")


@handles("drive.files.get")
def files_get(fake, req):
    f = fake.get_file(req.p("fileId"), req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives"))
    if req.q("alt") != "media":
        return fake.file_resource(f)
    if f.native or f.is_folder:
        raise ApiError(
            403,
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
            reason="fileNotDownloadable",
            location="alt",
            location_type="parameter",
        )
    data = f.content or b""
    rng = req.headers.get("range", "")
    if rng.startswith("bytes=") and data:
        start_s, _, end_s = rng[6:].partition("-")
        start = int(start_s or 0)
        end = min(int(end_s) if end_s else len(data) - 1, len(data) - 1)
        return Raw(data[start : end + 1], f.mime_type, 206, {"content-range": f"bytes {start}-{end}/{len(data)}"})
    return Raw(data, f.mime_type)


@handles("drive.files.update")
def files_update(fake, req):
    sad = req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives")
    f = fake.get_file(req.p("fileId"), sad)
    meta = req.json()
    _check_writable(meta, update=True)
    if f.is_root:
        raise ApiError(
            403, "The user does not have sufficient permissions for this file.", reason="insufficientFilePermissions"
        )
    add = [p for p in (req.q("addParents") or "").split(",") if p.strip()]
    remove = [p.strip() for p in (req.q("removeParents") or "").split(",") if p.strip()]
    parents = [p for p in f.parents if p not in remove and not (p == fake.root_id and "root" in remove)]
    new_drive = f.drive_id
    for pid in add:
        pid, new_drive = fake.resolve_parent(pid.strip(), sad)
        if pid not in parents:
            parents.append(pid)
    if len(parents) > 1:
        raise ApiError(403, "Increasing the number of parents is not allowed", reason="cannotAddParent")
    if add and new_drive is None and f.drive_id is not None:
        fake.check_storage(parents, f.mime_type)
    if "mimeType" in meta and meta["mimeType"] != f.mime_type and req.media is None:
        if f.native or meta["mimeType"].startswith("application/vnd.google-apps."):
            raise ApiError(
                403, "The resource body includes fields which are not directly writable.", reason="fieldNotWritable"
            )
    work = copy.deepcopy(f)
    _apply_meta(fake, work, meta)
    if "mimeType" in meta and not work.native:
        work.mime_type = meta["mimeType"]
    if "modifiedTime" in meta:
        work.modified = _seconds(fake, meta["modifiedTime"])
    if req.media is not None:
        _set_content(fake, work, req.media, req.media_type)
    work.parents = parents or [fake.root_id]
    if new_drive != f.drive_id:
        work.drive_id = new_drive
        work.permissions = [] if new_drive else [fake.owner_permission()]
    fake.files[f.id] = work
    work.version += 1
    if "modifiedTime" not in meta:
        work.modified = fake.clock
    work.modified_by = getattr(fake, "caller", fake.identity)
    return fake.file_resource(work)


@handles("drive.files.delete")
def files_delete(fake, req):
    f = fake.get_file(req.p("fileId"), req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives"))
    if f.is_root:
        raise ApiError(
            403, "The user does not have sufficient permissions for this file.", reason="insufficientFilePermissions"
        )
    fake.delete_file_tree(f)
    return None


@handles("drive.files.copy")
def files_copy(fake, req):
    sad = req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives")
    src = fake.get_file(req.p("fileId"), sad)
    if src.is_folder:
        raise ApiError(403, "This file cannot be copied by the user.", reason="cannotCopyFile")
    meta = req.json()
    _check_writable(meta, update=False)
    parents = meta.get("parents") or [p for p in src.parents if p in fake.files or p in fake.drives] or [fake.root_id]
    parent_id, drive_id = fake.resolve_parent(parents[0], sad)
    fake.check_storage([parent_id], src.mime_type)
    dup = copy.deepcopy(src)
    dup.id = meta.get("id") or fake.new_file_id()
    dup.name = meta.get("name") or f"Copy of {src.name}"
    dup.parents, dup.drive_id = [parent_id], drive_id
    dup.created = dup.modified = fake.clock
    dup.version, dup.trashed, dup.starred = 1, False, False
    dup.permissions = [] if drive_id else [fake.owner_permission()]
    dup.extra.pop("_comments", None)
    _apply_meta(fake, dup, {k: v for k, v in meta.items() if k != "name"})
    if src.mime_type == SHEET and src.id in fake.spreadsheets:
        ss = fake.spreadsheets[src.id].clone()
        ss.id = dup.id
        ss.properties["title"] = dup.name
        fake.spreadsheets[dup.id] = ss
    fake.files[dup.id] = dup
    return fake.file_resource(dup)


@handles("drive.files.export")
def files_export(fake, req):
    f = fake.get_file(req.p("fileId"))  # export has no supportsAllDrives parameter
    mime = req.q("mimeType")
    if f.mime_type not in EXPORTABLE:
        raise ApiError(403, "Export only supports Docs Editors files.", reason="fileNotExportable")
    if f.mime_type == DOC:
        data = docs.export_doc(f.name, f.text or "", f.content, mime)
    elif f.mime_type == SHEET:
        data = docs.export_sheet(fake.spreadsheets[f.id], mime)
    else:
        raise docs.unsupported_conversion()
    return Raw(data, mime)


@handles("drive.files.list")
def files_list(fake, req):
    corpora = req.q("corpora") or "user"
    drive_id = req.q("driveId") or req.q("teamDriveId")
    sad = req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives")
    include_all = req.qbool("includeItemsFromAllDrives") or req.qbool("includeTeamDriveItems")
    if corpora not in ("user", "drive", "allDrives", "domain"):
        raise invalid("corpora")
    if (corpora == "drive") != bool(drive_id):
        raise ApiError(
            400,
            "The driveId parameter must be specified if and only if corpora is set to drive.",
            reason="badRequest",
            location="driveId",
        )
    if corpora in ("drive", "allDrives") and not (include_all and sad):
        raise ApiError(
            403,
            "The includeItemsFromAllDrives parameter must be set to true "
            "(together with supportsAllDrives) when corpora is " + corpora + ".",
            reason="teamDriveInclusionRequired",
            location="includeItemsFromAllDrives",
        )
    if drive_id and drive_id not in fake.drives:
        raise ApiError(404, f"Shared drive not found: {drive_id}", reason="notFound", location="driveId")
    page_size = req.qint("pageSize", 100)
    if not 1 <= page_size <= 1000:
        raise invalid("pageSize")
    pred = compile_query(req.q("q") or "")
    items = []
    for f in fake.files.values():
        if f.is_root:
            continue
        if corpora == "drive" and f.drive_id != drive_id:
            continue
        if f.drive_id and not (include_all and sad):
            continue
        if fake.search_lag and fake.clock - f.created < fake.search_lag:
            continue  # Drive's search index has not caught up with this create yet
        if pred(_View(fake, f)) and access.sees(fake, f):  # what the caller may see
            items.append(f)
    items = _order(items, req.q("orderBy"))
    start = _page_start(req.q("pageToken"))
    page = items[start : start + page_size]
    out = {"kind": "drive#fileList", "incompleteSearch": False, "files": [fake.file_resource(f) for f in page]}
    if start + page_size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"o:{start + page_size}".encode()).decode()
    return out


def _page_start(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        assert text.startswith("o:")
        return int(text[2:])
    except Exception:
        raise invalid("pageToken")


def _order(items: list, spec: str | None) -> list:
    if not spec:
        return items
    keys = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        name, _, direction = part.partition(" ")
        if name not in ORDER_KEYS or direction.strip().lower() not in ("", "desc", "asc"):
            raise invalid("orderBy")
        keys.append((name, direction.strip().lower() == "desc"))
    for name, desc in reversed(keys):
        getter = {
            "name": lambda f: f.name.lower(),
            "name_natural": lambda f: f.name.lower(),
            "createdTime": lambda f: f.created,
            "modifiedTime": lambda f: f.modified,
            "folder": lambda f: not f.is_folder,
            "starred": lambda f: not f.starred,
            "quotaBytesUsed": lambda f: len(f.content or b""),
        }.get(name, lambda f: f.modified)
        items = sorted(items, key=getter, reverse=desc)
    return items


class _View:
    """What Drive queries see of a file."""

    def __init__(self, fake, f: DriveFile):
        self.fake, self.f = fake, f

    def field(self, name: str):
        f, fake = self.f, self.fake
        if name == "name":
            return f.name
        if name == "mimeType":
            return f.mime_type
        if name in ("trashed", "starred"):
            return getattr(f, name)
        if name == "sharedWithMe":
            return False
        if name == "parents":
            return set(f.parents) | ({"root"} if fake.root_id in f.parents else set())
        if name in ("owners", "writers", "readers"):
            roles = {
                "owners": ("owner",),
                "writers": ("owner", "organizer", "fileOrganizer", "writer"),
                "readers": ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"),
            }[name]
            return {p.get("emailAddress") for p in fake.file_permissions(f) if p["role"] in roles} | (
                {"me"}
                if any(p.get("emailAddress") == fake.identity and p["role"] in roles for p in fake.file_permissions(f))
                else set()
            )
        if name == "appProperties":
            return f.app_properties
        if name == "properties":
            return f.properties
        if name in ("createdTime", "modifiedTime"):
            return parse_rfc3339(fake.ts(f.created if name == "createdTime" else f.modified))
        if name == "fullText":
            return " ".join(
                filter(
                    None,
                    [
                        f.name,
                        f.description,
                        f.text,
                        (f.content or b"").decode("utf-8", "ignore") if f.mime_type.startswith("text/") else None,
                    ],
                )
            )
        if name == "visibility":
            return "anyoneWithLink" if any(p["type"] == "anyone" for p in f.permissions) else "limited"
        return None
