"""Drive v3 permissions.* and drives.* handlers."""

from __future__ import annotations

import base64
import copy

from .drive_model import SharedDrive, perm_id_for
from .drive_query import compile_query, invalid
from .registry import handles
from .util import ApiError, drive_not_found

ROLES = ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader")
TYPES = ("user", "group", "domain", "anyone")
PERM_WRITABLE_UPDATE = {"role", "expirationTime", "view", "inheritedPermissionsDisabled"}


def _sad(req) -> bool:
    return req.qbool("supportsAllDrives") or req.qbool("supportsTeamDrives")


def _target(fake, req):
    """-> (perms list to edit, file or None, drive or None, id)."""
    fid = req.p("fileId")
    if fid in fake.drives:
        if not _sad(req):
            raise drive_not_found(fid)
        d = fake.drives[fid]
        return d.members, None, d, fid
    f = fake.get_file(fid, _sad(req))
    return f.permissions, f, (fake.drives.get(f.drive_id) if f.drive_id else None), f.id


def _perm_not_found(pid: str) -> ApiError:
    return ApiError(
        404, f"Permission not found: {pid}.", reason="notFound", location="permissionId", location_type="parameter"
    )


def _bump(fake, f) -> None:
    if f is not None:
        fake.touch(f.id)


@handles("drive.permissions.create")
def permissions_create(fake, req):
    perms, f, drive, target_id = _target(fake, req)
    body = req.json()
    ptype, role = body.get("type"), body.get("role")
    if not ptype:
        raise ApiError(400, "The permission type field is required.", reason="required", location="permission.type")
    if not role:
        raise ApiError(400, "The permission role field is required.", reason="required", location="permission.role")
    if ptype not in TYPES or role not in ROLES:
        raise ApiError(
            400,
            "Invalid Value",
            reason="invalid",
            location="permission.type" if ptype not in TYPES else "permission.role",
        )
    email = body.get("emailAddress")
    if ptype in ("user", "group") and not email:
        raise ApiError(
            400,
            "The permission emailAddress field is required for the user and group types.",
            reason="required",
            location="permission.emailAddress",
        )
    if ptype == "domain" and not body.get("domain"):
        raise ApiError(
            400,
            "The permission domain field is required for the domain type.",
            reason="required",
            location="permission.domain",
        )
    in_shared = drive is not None
    if role == "owner":
        if in_shared:
            raise ApiError(403, "Items in shared drives cannot have an owner.", reason="teamDriveOwnerNotAllowed")
        if not req.qbool("transferOwnership"):
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                reason="forbidden",
                location="transferOwnership",
            )
        if ptype != "user":
            raise ApiError(400, "Only a user can become the owner.", reason="invalidSharingRequest")
    if role in ("organizer", "fileOrganizer") and not in_shared:
        raise ApiError(
            400,
            f"The role '{role}' is only valid for items in shared drives.",
            reason="invalidSharingRequest",
            location="permission.role",
        )
    if drive is not None and f is None and role not in ("organizer", "fileOrganizer", "writer", "commenter", "reader"):
        raise invalid("permission.role")
    notify = req.qbool("sendNotificationEmail", ptype in ("user", "group"))
    if ptype in ("user", "group") and not notify and email.lower() in {e.lower() for e in fake.non_google_accounts}:
        raise ApiError(
            400,
            f'Bad Request. User message: "You are trying to invite {email}. '
            "Since there is no Google account associated with this email address, "
            "you must check the 'Notify people' box to invite this recipient.\"",
            reason="invalidSharingRequest",
        )
    if ptype == "anyone":
        pid = "anyone" if body.get("allowFileDiscovery") else "anyoneWithLink"
    else:
        pid = perm_id_for(email or body.get("domain"))
    perm = {"kind": "drive#permission", "id": pid, "type": ptype, "role": role, "deleted": False, "pendingOwner": False}
    if email:
        perm["emailAddress"] = email
        perm["displayName"] = email.split("@")[0]
    if ptype in ("domain", "anyone"):
        perm["allowFileDiscovery"] = bool(body.get("allowFileDiscovery"))
    if ptype == "domain":
        perm["domain"] = perm["displayName"] = body["domain"]
    for key in ("expirationTime", "view"):
        if key in body:
            perm[key] = body[key]
    if role == "owner":
        for p in perms:
            if p["role"] == "owner":
                p["role"] = "writer"
    perms[:] = [p for p in perms if p["id"] != pid] + [perm]
    if notify and ptype in ("user", "group"):
        fake.sent_notifications.append(
            {
                "file_id": target_id,
                "to": email,
                "role": role,
                "message": req.q("emailMessage"),
                "time": fake.now_rfc3339(),
            }
        )
    _bump(fake, f)
    return copy.deepcopy(perm)


def _listed(fake, f, drive, perms):
    return fake.file_permissions(f) if f is not None else copy.deepcopy(perms)


@handles("drive.permissions.list")
def permissions_list(fake, req):
    perms, f, drive, _ = _target(fake, req)
    items = _listed(fake, f, drive, perms)
    size = req.qint("pageSize", 100)
    if not 1 <= size <= 100:
        raise invalid("pageSize")
    start = _start(req.q("pageToken"))
    out = {"kind": "drive#permissionList", "permissions": items[start : start + size]}
    if start + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"p:{start + size}".encode()).decode()
    return out


def _start(token):
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode()[2:])
    except Exception:
        raise invalid("pageToken")


def _find(fake, req):
    perms, f, drive, tid = _target(fake, req)
    pid = req.p("permissionId")
    for p in perms:
        if p["id"] == pid:
            return perms, p, f, drive
    if f is not None and any(p["id"] == pid for p in fake.file_permissions(f)):
        raise ApiError(
            403,
            "The permission is inherited and cannot be changed on this item.",
            reason="cannotModifyInheritedPermission",
        )
    raise _perm_not_found(pid)


@handles("drive.permissions.get")
def permissions_get(fake, req):
    perms, f, drive, _ = _target(fake, req)
    for p in _listed(fake, f, drive, perms):
        if p["id"] == req.p("permissionId"):
            return p
    raise _perm_not_found(req.p("permissionId"))


@handles("drive.permissions.update")
def permissions_update(fake, req):
    perms, perm, f, drive = _find(fake, req)
    body = req.json()
    for key in body:
        if key not in PERM_WRITABLE_UPDATE and body[key] != perm.get(key):
            raise ApiError(
                403, "The resource body includes fields which are not directly writable.", reason="fieldNotWritable"
            )
    role = body.get("role", perm["role"])
    if role not in ROLES:
        raise invalid("permission.role")
    if perm["role"] == "owner" and role != "owner":
        raise ApiError(403, "The owner of a file cannot be removed.", reason="cannotRemoveOwner")
    if role == "owner" and perm["role"] != "owner":
        if not req.qbool("transferOwnership"):
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                reason="forbidden",
            )
        for p in perms:
            if p["role"] == "owner":
                p["role"] = "writer"
    if role in ("organizer", "fileOrganizer") and drive is None:
        raise ApiError(
            400, f"The role '{role}' is only valid for items in shared drives.", reason="invalidSharingRequest"
        )
    perm["role"] = role
    for key in ("expirationTime", "view"):
        if key in body:
            perm[key] = body[key]
    if req.qbool("removeExpiration"):
        perm.pop("expirationTime", None)
    _bump(fake, f)
    return copy.deepcopy(perm)


@handles("drive.permissions.delete")
def permissions_delete(fake, req):
    perms, perm, f, drive = _find(fake, req)
    if perm["role"] == "owner":
        raise ApiError(403, "The owner of a file cannot be removed.", reason="cannotRemoveOwner")
    if f is None and perm["role"] == "organizer" and sum(1 for p in perms if p["role"] == "organizer") == 1:
        raise ApiError(403, "A shared drive must have at least one organizer.", reason="cannotDeletePermission")
    perms.remove(perm)
    _bump(fake, f)
    return None


# ------------------------------------------------------------------ drives


def _drive(fake, drive_id) -> SharedDrive:
    d = fake.drives.get(drive_id)
    if d is None:
        raise ApiError(
            404, f"Shared drive not found: {drive_id}", reason="notFound", location="driveId", location_type="parameter"
        )
    return d


@handles("drive.drives.create")
def drives_create(fake, req):
    rid = req.q("requestId")
    for d in fake.drives.values():
        if d.request_id == rid:
            raise ApiError(409, "A shared drive with this requestId already exists.", reason="duplicate")
    body = req.json()
    drive_id = fake.create_shared_drive(body.get("name") or "Untitled shared drive")
    d = fake.drives[drive_id]
    d.request_id = rid
    for key in ("colorRgb", "themeId", "restrictions"):
        if key in body:
            d.extra[key] = copy.deepcopy(body[key])
    return fake.drive_resource(d)


@handles("drive.drives.get")
def drives_get(fake, req):
    return fake.drive_resource(_drive(fake, req.p("driveId")))


@handles("drive.drives.update")
def drives_update(fake, req):
    d = _drive(fake, req.p("driveId"))
    body = req.json()
    if "name" in body:
        d.name = body["name"]
    for key in ("colorRgb", "themeId", "restrictions", "backgroundImageFile"):
        if key in body:
            d.extra[key] = copy.deepcopy(body[key])
    return fake.drive_resource(d)


@handles("drive.drives.delete")
def drives_delete(fake, req):
    d = _drive(fake, req.p("driveId"))
    if any(f.drive_id == d.id for f in fake.files.values()):
        raise ApiError(
            403,
            "The shared drive cannot be deleted because it contains one or more items.",
            reason="cannotDeleteResourceWithChildren",
        )
    del fake.drives[d.id]
    return None


class _DriveView:
    def __init__(self, d):
        self.d = d

    def field(self, name):
        if name == "name":
            return self.d.name
        if name == "hidden":
            return self.d.hidden
        if name in ("memberEmails", "organizerEmails"):
            return {m.get("emailAddress") for m in self.d.members if name == "memberEmails" or m["role"] == "organizer"}
        return None


@handles("drive.drives.list")
def drives_list(fake, req):
    size = req.qint("pageSize", 10)
    if not 1 <= size <= 100:
        raise invalid("pageSize")
    pred = compile_query(req.q("q") or "", fields={"name", "hidden", "memberEmails", "organizerEmails", "createdTime"})
    items = [d for d in fake.drives.values() if pred(_DriveView(d))]
    start = _start(req.q("pageToken"))
    out = {"kind": "drive#driveList", "drives": [fake.drive_resource(d) for d in items[start : start + size]]}
    if start + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"d:{start + size}".encode()).decode()
    return out


# ---------------------------------------------------------------- comments


def _comments(fake, req) -> list:
    f = fake.get_file(req.p("fileId"))  # comments take no supportsAllDrives
    if not req.q("fields"):
        raise ApiError(400, "The 'fields' parameter is required for this method.", reason="required", location="fields")
    return f.extra.setdefault("_comments", [])


@handles("drive.comments.list")
def comments_list(fake, req):
    items = [c for c in _comments(fake, req) if req.qbool("includeDeleted") or not c["deleted"]]
    size = req.qint("pageSize", 20)
    start = _start(req.q("pageToken"))
    out = {"kind": "drive#commentList", "comments": copy.deepcopy(items[start : start + size])}
    if start + size < len(items):
        out["nextPageToken"] = base64.urlsafe_b64encode(f"c:{start + size}".encode()).decode()
    return out


@handles("drive.comments.create")
def comments_create(fake, req):
    items = _comments(fake, req)
    body = req.json()
    if not body.get("content"):
        raise ApiError(400, "A comment must have content.", reason="required", location="content")
    comment = {
        "kind": "drive#comment",
        "id": "AAAA" + fake._rand_chars(10),
        "content": body["content"],
        "htmlContent": body["content"],
        "createdTime": fake.now_rfc3339(),
        "modifiedTime": fake.now_rfc3339(),
        "deleted": False,
        "resolved": False,
        "author": {
            "kind": "drive#user",
            "displayName": fake.identity.split("@")[0],
            "emailAddress": fake.identity,
            "me": True,
        },
        "replies": [],
    }
    if "anchor" in body:
        comment["anchor"] = body["anchor"]
    items.append(comment)
    return copy.deepcopy(comment)


# ---------------------------------------------------------------- misc


@handles("drive.files.generateIds")
def files_generate_ids(fake, req):
    count = req.qint("count", 10)
    if not 1 <= count <= 1000:
        raise invalid("count")
    return {
        "kind": "drive#generatedIds",
        "space": req.q("space") or "drive",
        "ids": [fake.new_file_id() for _ in range(count)],
    }


@handles("drive.about.get")
def about_get(fake, req):
    if not req.q("fields"):
        raise ApiError(400, "The 'fields' parameter is required for this method.", reason="required", location="fields")
    used = sum(len(f.content or b"") for f in fake.files.values() if not f.drive_id)
    limit = "0" if fake.service_account_without_storage else str(15 * 1024**3)
    return {
        "kind": "drive#about",
        "user": {
            "kind": "drive#user",
            "displayName": fake.identity.split("@")[0],
            "emailAddress": fake.identity,
            "me": True,
            "permissionId": perm_id_for(fake.identity),
        },
        "storageQuota": {"limit": limit, "usage": str(used), "usageInDrive": str(used), "usageInDriveTrash": "0"},
        "canCreateDrives": True,
        "rootFolderId": fake.root_id,
    }
