"""Shared helpers: Google-style errors, ids, RFC3339 times, `fields` masks."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

REASON_BY_CODE = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    429: "rateLimitExceeded",
    500: "backendError",
    501: "notImplemented",
    503: "backendError",
}


class ApiError(Exception):
    """An error the fake server answers with, in Google's JSON error shape.

    `reason`/`domain`/`location` fill the legacy ``errors[]`` list that Drive
    (and googleapiclient's retry logic) look at; when `reason` is None the
    list is omitted, as the Sheets/Forms/Gmail (One Platform) APIs do.
    """

    def __init__(
        self,
        code: int,
        message: str,
        status: str | None = None,
        reason: str | None = None,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        details: list | None = None,
    ):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.reason = reason
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.details = details

    def to_body(self) -> dict:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.reason:
            item = {"message": self.message, "domain": self.domain, "reason": self.reason}
            if self.location:
                item["location"] = self.location
                item["locationType"] = self.location_type or "parameter"
            err["errors"] = [item]
        if self.details:
            err["details"] = self.details
        return {"error": err}


def bad_request(message: str, **kw) -> ApiError:
    return ApiError(400, message, **kw)


def invalid_json(message: str) -> ApiError:
    return ApiError(400, "Invalid JSON payload received. " + message)


def drive_not_found(file_id: str) -> ApiError:
    msg = f"File not found: {file_id}."
    return ApiError(404, msg, reason="notFound", location="fileId", location_type="parameter")


# --------------------------------------------------------------------------
# time

DEFAULT_EPOCH = _dt.datetime(2026, 1, 15, 9, 0, 0, tzinfo=_dt.UTC)


def rfc3339(dt: _dt.datetime) -> str:
    dt = dt.astimezone(_dt.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_rfc3339(text: str) -> _dt.datetime:
    t = text.strip()
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    dt = _dt.datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.UTC)
    return dt


# --------------------------------------------------------------------------
# snake case (Google names fields in error paths in proto snake_case)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --------------------------------------------------------------------------
# `fields` partial-response masks: "a,b(c,d/e),f.g,sheets/properties"


def parse_fields(spec: str) -> dict | None:
    """Parse a fields mask into a tree {name: subtree|None}. None == all."""
    spec = (spec or "").strip()
    if not spec or spec == "*":
        return None
    pos = 0

    def parse_list(end: str | None) -> dict:
        nonlocal pos
        tree: dict = {}
        while pos < len(spec):
            while pos < len(spec) and spec[pos] in " ,":
                pos += 1
            if pos < len(spec) and end and spec[pos] == end:
                pos += 1
                return tree
            m = re.compile(r"[A-Za-z0-9_*@$\-.\/]+").match(spec, pos)
            if not m:
                raise bad_request(f"Invalid field selection {spec}", reason="invalidParameter", location="fields")
            pos = m.end()
            path = [p for p in re.split(r"[./]", m.group(0)) if p]
            sub = None
            if pos < len(spec) and spec[pos] == "(":
                pos += 1
                sub = parse_list(")")
            node = tree
            for i, part in enumerate(path):
                last = i == len(path) - 1
                if last:
                    if part in node and node[part] is not None and sub is not None:
                        node[part].update(sub)
                    elif part in node and node[part] is not None and sub is None:
                        node[part] = None
                    elif part not in node:
                        node[part] = sub
                else:
                    if part not in node:
                        node[part] = {}
                    elif node[part] is None:
                        break
                    node = node[part]
        if end:
            raise bad_request(f"Invalid field selection {spec}", reason="invalidParameter", location="fields")
        return tree

    tree = parse_list(None)
    if "*" in tree and tree["*"] is None:
        return None
    return tree


def mask_paths(spec: str) -> list[str]:
    """Flatten an update mask ("a.b,c(d,e)") to dotted paths ["a.b", "c.d", "c.e"];
    ["*"] for everything."""
    tree = parse_fields(spec)
    if tree is None:
        return ["*"]

    def flat(node: dict) -> list[str]:
        out = []
        for key, sub in node.items():
            out += [key] if sub is None else [f"{key}.{p}" for p in flat(sub)]
        return out

    return flat(tree)


def apply_fields(obj: Any, tree: dict | None) -> Any:
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [apply_fields(o, tree) for o in obj]
    if not isinstance(obj, dict):
        return obj
    if "*" in tree:
        star = tree["*"]
        return {k: apply_fields(v, star) for k, v in obj.items()}
    out = {}
    for k, sub in tree.items():
        if k in obj:
            out[k] = apply_fields(obj[k], sub)
    return out


# --------------------------------------------------------------------------
# query helpers


def parse_bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0", ""):
        return False
    raise bad_request(f"Invalid value at '{snake(name)}' (TYPE_BOOL), \"{value}\"")
