"""Drive state (files, shared drives, permissions) and the FakeGoogle mixin
that other APIs (Sheets, Forms) use to register and touch Drive files."""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .util import ApiError, drive_not_found, rfc3339

if TYPE_CHECKING:
    from .sheets_model import Spreadsheet

FOLDER = "application/vnd.google-apps.folder"
DOC = "application/vnd.google-apps.document"
SHEET = "application/vnd.google-apps.spreadsheet"
FORM = "application/vnd.google-apps.form"
NATIVE_PREFIX = "application/vnd.google-apps."
EXPORTABLE = {
    DOC,
    SHEET,
    "application/vnd.google-apps.presentation",
    "application/vnd.google-apps.drawing",
    "application/vnd.google-apps.script",
}
STORAGE_MSG = (
    "Service Accounts do not have storage quota. Leverage shared drives "
    "(https://developers.google.com/workspace/drive/api/guides/about-shareddrives), "
    "or use OAuth delegation (http://support.google.com/a/answer/7281227) instead."
)


def perm_id_for(key: str) -> str:
    return "0" + str(int(hashlib.sha1(key.lower().encode()).hexdigest(), 16))[:19]


@dataclass
class DriveFile:
    id: str
    name: str
    mime_type: str
    parents: list
    drive_id: str | None
    created: float
    modified: float
    version: int = 1
    app_properties: dict = field(default_factory=dict)
    properties: dict = field(default_factory=dict)
    description: str | None = None
    starred: bool = False
    trashed: bool = False
    content: bytes | None = None  # binary files; original .docx for converted docs
    text: str | None = None  # Google Doc body text
    permissions: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # other writable metadata, verbatim
    is_root: bool = False
    modified_by: str = ""  # who last changed it (Drive's lastModifyingUser); "" = the fake's identity

    @property
    def native(self) -> bool:
        return self.mime_type.startswith(NATIVE_PREFIX)

    @property
    def is_folder(self) -> bool:
        return self.mime_type == FOLDER


@dataclass
class SharedDrive:
    id: str
    name: str
    created: float
    request_id: str | None = None
    members: list = field(default_factory=list)  # permission dicts
    hidden: bool = False
    extra: dict = field(default_factory=dict)


def web_view_link(f: DriveFile) -> str:
    kinds = {
        SHEET: "spreadsheets",
        DOC: "document",
        FORM: "forms",
        "application/vnd.google-apps.presentation": "presentation",
    }
    if f.mime_type in kinds:
        return f"https://docs.google.com/{kinds[f.mime_type]}/d/{f.id}/edit?usp=drivesdk"
    if f.is_folder:
        return f"https://drive.google.com/drive/folders/{f.id}"
    return f"https://drive.google.com/file/d/{f.id}/view?usp=drivesdk"


class DriveMixin:
    """Drive helpers on FakeGoogle (state lives in self.files / self.drives)."""

    # set by ServerCore.__init__ and FakeGoogle.__init__, which this mixin is combined with
    rng: random.Random
    clock: float
    epoch: _dt.datetime
    spreadsheets: dict[str, Spreadsheet]

    def _init_drive(self, identity: str, service_account_without_storage: bool) -> None:
        self.identity = identity
        self.service_account_without_storage = service_account_without_storage
        self.files: dict[str, DriveFile] = {}
        self.drives: dict[str, SharedDrive] = {}
        self.sent_notifications: list[dict] = []
        self.non_google_accounts: set[str] = set()
        self.root_id = "0A" + self._rand_chars(11) + "Uk9PVA"
        self.files[self.root_id] = DriveFile(self.root_id, "My Drive", FOLDER, [], None, 0.0, 0.0, is_root=True)

    def _rand_chars(self, n: int) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def new_file_id(self) -> str:
        return "1" + self._rand_chars(32)

    def ts(self, seconds: float) -> str:
        return rfc3339(self.epoch + _dt.timedelta(seconds=seconds))

    def owner_permission(self, email: str | None = None) -> dict:
        email = email or self.identity
        return {
            "kind": "drive#permission",
            "id": perm_id_for(email),
            "type": "user",
            "role": "owner",
            "emailAddress": email,
            "displayName": email.split("@")[0],
            "deleted": False,
            "pendingOwner": False,
        }

    # ---------------------------------------------------------- lookups
    def resolve_parent(self, parent_id: str, supports_all_drives: bool):
        """-> (parent id, drive id or None). Raises 404 like Drive."""
        if parent_id == "root":
            return self.root_id, None
        if parent_id in self.drives:
            if not supports_all_drives:
                raise drive_not_found(parent_id)
            return parent_id, parent_id
        f = self.files.get(parent_id)
        if f is None or (f.drive_id and not supports_all_drives):
            raise drive_not_found(parent_id)
        if not f.is_folder:
            raise ApiError(400, "The specified parent is not a folder.", reason="badRequest")
        return f.id, f.drive_id

    def get_file(self, file_id: str, supports_all_drives: bool = True) -> DriveFile:
        if file_id == "root":
            file_id = self.root_id
        f = self.files.get(file_id)
        if f is None or (f.drive_id and not supports_all_drives):
            raise drive_not_found(file_id)
        return f

    def check_storage(self, parents, mime: str) -> None:
        """The service-account trap: no My Drive storage for new files."""
        if not self.service_account_without_storage or mime == FOLDER:
            return
        in_shared = any(p in self.drives or (p in self.files and self.files[p].drive_id) for p in (parents or []))
        if not in_shared:
            raise ApiError(403, STORAGE_MSG, reason="storageQuotaExceeded", domain="usageLimits")

    def register_file(
        self, file_id: str, name: str, mime: str, parents=None, drive_id: str | None = None, **kw
    ) -> DriveFile:
        f = DriveFile(file_id, name, mime, list(parents or [self.root_id]), drive_id, self.clock, self.clock, **kw)
        f.modified_by = getattr(self, "caller", self.identity)
        if drive_id is None:
            f.permissions.append(self.owner_permission())
        self.files[file_id] = f
        return f

    def touch(self, file_id: str) -> None:
        f = self.files.get(file_id)
        if f is not None:
            f.version += 1
            f.modified = self.clock
            f.modified_by = getattr(self, "caller", self.identity)

    def commit_spreadsheet(self, work) -> None:
        caller = getattr(self, "caller", self.identity)
        if caller != self.identity:  # an expert or CDB through their own token: Google's rules apply
            from .identities import check_edit

            check_edit(self, self.spreadsheets.get(work.id), work, caller)
        self.spreadsheets[work.id] = work
        f = self.files.get(work.id)
        if f is not None:
            f.name = work.title
        self.touch(work.id)

    def delete_file_tree(self, f: DriveFile) -> None:
        for child in [c for c in self.files.values() if f.id in c.parents]:
            self.delete_file_tree(child)
        self.files.pop(f.id, None)
        self.spreadsheets.pop(f.id, None)

    # ---------------------------------------------------------- rendering
    def file_permissions(self, f: DriveFile) -> list[dict]:
        perms = []
        if f.drive_id and f.drive_id in self.drives:
            for m in self.drives[f.drive_id].members:
                p = copy.deepcopy(m)
                p["permissionDetails"] = [
                    {"permissionType": "member", "role": m["role"], "inherited": True, "inheritedFrom": f.drive_id}
                ]
                perms.append(p)
        perms.extend(copy.deepcopy(f.permissions))
        return perms

    def file_resource(self, f: DriveFile) -> dict:
        out: dict[str, Any] = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "parents": list(f.parents),
            "createdTime": self.ts(f.created),
            "modifiedTime": self.ts(f.modified),
            "version": str(f.version),
            "webViewLink": web_view_link(f),
            "starred": f.starred,
            "trashed": f.trashed,
            "explicitlyTrashed": f.trashed,
            "spaces": ["drive"],
            "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{f.mime_type}",
            "modifiedByMe": True,
            "viewedByMe": True,
            "isAppAuthorized": True,
            "writersCanShare": True,
            "hasThumbnail": False,
            "lastModifyingUser": {
                "kind": "drive#user",
                "displayName": (f.modified_by or self.identity).split("@")[0],
                "emailAddress": f.modified_by or self.identity,
                "me": (f.modified_by or self.identity) == getattr(self, "caller", self.identity),
                "permissionId": perm_id_for(f.modified_by or self.identity),
            },
            "capabilities": {
                "canEdit": True,
                "canShare": True,
                "canDelete": True,
                "canRename": True,
                "canAddChildren": f.is_folder,
                "canDownload": True,
                "canCopy": not f.is_folder,
                "canTrash": True,
                "canMoveItemWithinDrive": True,
            },
        }
        if f.is_root:
            out["parents"] = []
        if f.app_properties:
            out["appProperties"] = dict(f.app_properties)
        if f.properties:
            out["properties"] = dict(f.properties)
        if f.description is not None:
            out["description"] = f.description
        perms = self.file_permissions(f)
        out["permissionIds"] = [p["id"] for p in perms]
        out["shared"] = any(p["role"] != "owner" for p in f.permissions)
        if f.drive_id:
            out["driveId"] = out["teamDriveId"] = f.drive_id
        else:
            out["permissions"] = perms
            out["owners"] = [
                {
                    "kind": "drive#user",
                    "displayName": p.get("displayName"),
                    "emailAddress": p.get("emailAddress"),
                    "me": p.get("emailAddress") == self.identity,
                    "permissionId": p["id"],
                }
                for p in f.permissions
                if p["role"] == "owner"
            ]
            out["ownedByMe"] = any(o["me"] for o in out["owners"])
        if f.native:
            if f.mime_type in EXPORTABLE:
                out["exportLinks"] = {}
        else:
            data = f.content or b""
            out.update(
                size=str(len(data)),
                quotaBytesUsed=str(len(data)),
                md5Checksum=hashlib.md5(data).hexdigest(),
                sha256Checksum=hashlib.sha256(data).hexdigest(),
                headRevisionId="0B" + hashlib.md5(data + f.id.encode()).hexdigest()[:20],
                webContentLink=f"https://drive.google.com/uc?id={f.id}&export=download",
            )
            if "." in f.name:
                out["fileExtension"] = out["fullFileExtension"] = f.name.rsplit(".", 1)[1]
        out.update({k: copy.deepcopy(v) for k, v in f.extra.items() if not k.startswith("_")})
        return out

    def drive_resource(self, d: SharedDrive) -> dict:
        out = {
            "kind": "drive#drive",
            "id": d.id,
            "name": d.name,
            "createdTime": self.ts(d.created),
            "hidden": d.hidden,
            "capabilities": {
                "canAddChildren": True,
                "canManageMembers": True,
                "canRenameDrive": True,
                "canDeleteDrive": True,
            },
            "restrictions": {
                "adminManagedRestrictions": False,
                "copyRequiresWriterPermission": False,
                "domainUsersOnly": False,
                "driveMembersOnly": False,
            },
        }
        out.update(copy.deepcopy(d.extra))
        return out

    # ---------------------------------------------------------- seeding
    def create_shared_drive(self, name: str, members: Sequence[tuple[str, str]] = ()) -> str:
        """Seed a shared drive (the caller is organizer). members: [(email, role)]."""
        drive_id = "0A" + self._rand_chars(11) + "Uk9PVA"
        d = SharedDrive(drive_id, name, self.clock)
        for email, role in [(self.identity, "organizer"), *members]:
            d.members.append(
                {
                    "kind": "drive#permission",
                    "id": perm_id_for(email),
                    "type": "user",
                    "role": role,
                    "emailAddress": email,
                    "displayName": email.split("@")[0],
                    "deleted": False,
                }
            )
        self.drives[drive_id] = d
        return drive_id

    def create_folder(self, name: str, parent: str | None = None) -> str:
        """Seed a folder (parent: folder id, shared drive id or None for My Drive)."""
        pid, drive_id = self.resolve_parent(parent or self.root_id, True)
        return self.register_file(self.new_file_id(), name, FOLDER, [pid], drive_id).id

    def add_file(
        self,
        name: str,
        content: bytes,
        mime: str = "application/octet-stream",
        parent: str | None = None,
        app_properties: dict | None = None,
    ) -> str:
        """Seed a binary file."""
        pid, drive_id = self.resolve_parent(parent or self.root_id, True)
        f = self.register_file(
            self.new_file_id(), name, mime, [pid], drive_id, content=content, app_properties=dict(app_properties or {})
        )
        return f.id

    def file_meta(self, file_id: str) -> dict:
        """Full Drive metadata of a file (no request is recorded)."""
        return self.file_resource(self.get_file(file_id))

    def file_content(self, file_id: str) -> bytes | None:
        return self.get_file(file_id).content
