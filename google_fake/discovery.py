"""Routing and request validation driven by googleapiclient's bundled
discovery documents (sheets v4, drive v3, forms v1, gmail v1)."""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from .util import ApiError, snake

API_DOCS = {"sheets": "sheets.v4.json", "drive": "drive.v3.json", "forms": "forms.v1.json", "gmail": "gmail.v1.json"}

# Schemas whose properties form a proto `oneof` (at most one may be set).
ONEOF_SCHEMAS = {("sheets", "Request"): "kind", ("sheets", "ExtendedValue"): "value", ("forms", "Request"): "kind"}

UPLOAD_TYPES = ("media", "multipart", "resumable")


@dataclass
class Method:
    api: str
    id: str  # e.g. "sheets.spreadsheets.values.batchGet"
    http_method: str
    spec: dict
    params: dict
    request_ref: str | None
    media_download: bool

    @property
    def short(self) -> str:  # "spreadsheets.values.batchGet"
        return self.id.split(".", 1)[1]


@dataclass
class Route:
    method: Method
    template: str
    regex: re.Pattern
    literal_len: int
    upload: bool = False
    vars: list = field(default_factory=list)


def _documents_dir() -> str:
    import googleapiclient

    return os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")


@functools.cache
def load_doc(api: str) -> dict:
    with open(os.path.join(_documents_dir(), API_DOCS[api]), encoding="utf-8") as fh:
        return json.load(fh)


def _template_regex(template: str) -> tuple[re.Pattern, int, list]:
    out: list[str] = []
    literal = 0
    names: list[str] = []
    for part in re.split(r"(\{\+?[A-Za-z0-9_.]+\})", template):
        if not part:
            continue
        if part.startswith("{"):
            name = part.strip("{}+")
            group = f"v{len(names)}"
            names.append(name)
            out.append(f"(?P<{group}>.+)" if part.startswith("{+") else f"(?P<{group}>[^/]+)")
        else:
            out.append(re.escape(part))
            literal += len(part)
    return re.compile("^" + "".join(out) + "$"), literal, names


class Discovery:
    """Route table + validators for all four APIs."""

    def __init__(self) -> None:
        self.docs = {api: load_doc(api) for api in API_DOCS}
        self.routes: list[Route] = []
        self.methods: dict[str, Method] = {}
        for api, doc in self.docs.items():
            self._walk(api, doc, doc.get("resources", {}))
        self.routes.sort(key=lambda r: -r.literal_len)
        self.batch_paths = {"/" + d["batchPath"]: api for api, d in self.docs.items() if d.get("batchPath")}

    def _walk(self, api, doc, resources):
        for res in resources.values():
            for m in res.get("methods", {}).values():
                method = Method(
                    api,
                    m["id"],
                    m["httpMethod"],
                    m,
                    m.get("parameters", {}),
                    (m.get("request") or {}).get("$ref"),
                    bool(m.get("supportsMediaDownload")),
                )
                self.methods[method.id] = method
                templates = {("/" + doc["servicePath"] + m["path"], False)}
                if m.get("flatPath"):
                    templates.add(("/" + doc["servicePath"] + m["flatPath"], False))
                protocols = (m.get("mediaUpload") or {}).get("protocols", {})
                for proto in protocols.values():
                    templates.add((proto["path"], True))
                if protocols:
                    templates.add(("/upload/" + doc["servicePath"] + m["path"], True))
                for tpl, upload in templates:
                    rx, lit, names = _template_regex(tpl)
                    self.routes.append(Route(method, tpl, rx, lit, upload, names))
            self._walk(api, doc, res.get("resources", {}))

    # ------------------------------------------------------------------
    def match(self, http_method: str, raw_path: str):
        """-> (Method, path_params, is_upload) or None."""
        for route in self.routes:
            if route.method.http_method != http_method.upper():
                continue
            m = route.regex.match(raw_path)
            if m:
                params = {name: unquote(m.group(f"v{i}")) for i, name in enumerate(route.vars)}
                return route.method, params, route.upload
        return None

    def api_for_path(self, path: str) -> str:
        if path.startswith(("/v4/spreadsheets", "/batch")):
            return "sheets"
        if "/drive/" in path:
            return "drive"
        if path.startswith("/v1/forms"):
            return "forms"
        if "/gmail/" in path:
            return "gmail"
        return "unknown"

    # ------------------------------------------------------------------
    def validate_query(self, method: Method, query: dict[str, list[str]]) -> None:
        glob = self.docs[method.api]["parameters"]
        errors = []
        for name, values in query.items():
            spec = method.params.get(name)
            if spec is not None and spec.get("location") != "query":
                spec = None
            if spec is None:
                spec = glob.get(name)
            if spec is None:
                errors.append(
                    f'Invalid JSON payload received. Unknown name "{name}": '
                    f"Cannot bind query parameter. Field '{name}' could not "
                    f"be found in request message."
                )
                continue
            if len(values) > 1 and not spec.get("repeated"):
                errors.append(
                    f"Invalid value at '{snake(name)}': parameter '{name}' "
                    f"is not repeated but was given {len(values)} times"
                )
            for v in values:
                err = _check_param_value(name, spec, v)
                if err:
                    errors.append(err)
        for name, spec in method.params.items():
            if spec.get("location") == "query" and spec.get("required") and name not in query:
                raise ApiError(400, f"Required parameter: {name}", reason="required", location=name)
        if errors:
            raise ApiError(
                400,
                "\n".join(errors),
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"description": e} for e in errors],
                    }
                ],
            )

    def validate_upload_type(self, query: dict) -> str:
        ut = (query.get("uploadType") or [""])[0]
        if ut not in UPLOAD_TYPES:
            raise ApiError(400, f"Invalid upload type: '{ut}'", reason="badContent", location="uploadType")
        return ut

    # ------------------------------------------------------------------
    def body_root(self, method: Method) -> str:
        ref = method.request_ref or ""
        return "" if ref.endswith("Request") else snake(ref)

    def validate_body(self, method: Method, body) -> None:
        if method.request_ref is None:
            return
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        errors: list[tuple[str, str]] = []
        self._validate(method.api, {"$ref": method.request_ref}, body, self.body_root(method), errors)
        if errors:
            raise ApiError(
                400,
                "\n".join(m for _, m in errors),
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": p, "description": m} for p, m in errors],
                    }
                ],
            )

    def schema(self, api: str, name: str) -> dict:
        return self.docs[api]["schemas"][name]

    def _validate(self, api, schema, value, path, errors):
        if value is None:
            return
        ref = schema.get("$ref")
        if ref:
            schema = self.docs[api]["schemas"][ref]
        typ = schema.get("type")
        if typ == "object" or "properties" in schema or "additionalProperties" in schema:
            if not isinstance(value, dict):
                errors.append((path, _bad_value(path, "TYPE_MESSAGE", value)))
                return
            props = schema.get("properties", {})
            addl = schema.get("additionalProperties")
            for key, sub in value.items():
                if key in props:
                    self._validate(api, props[key], sub, _join(path, snake(key)), errors)
                elif addl is not None:
                    self._validate(api, addl, sub, f"{path}[{key}]", errors)
                else:
                    where = f" at '{path}'" if path else ""
                    errors.append(
                        (
                            _join(path, key),
                            f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.',
                        )
                    )
            oneof = ONEOF_SCHEMAS.get((api, ref)) if ref else None
            if oneof:
                set_keys = [k for k in value if k in props and value[k] is not None]
                if len(set_keys) > 1:
                    errors.append(
                        (
                            path,
                            f"Invalid value at '{path}' (oneof), oneof field "
                            f"'{oneof}' is already set. Cannot overwrite with "
                            f"'{snake(set_keys[1])}'",
                        )
                    )
        elif typ == "array":
            if not isinstance(value, list):
                errors.append((path, _bad_value(path, "TYPE_REPEATED", value)))
                return
            for i, item in enumerate(value):
                self._validate(api, schema.get("items", {}), item, f"{path}[{i}]", errors)
        elif typ in ("string", "integer", "number", "boolean"):
            err = _check_scalar(path, schema, value)
            if err:
                errors.append((path, err))
        # type "any" / unspecified: anything goes


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _bad_value(path: str, type_name: str, value) -> str:
    return f"Invalid value at '{path}' ({type_name}), {json.dumps(value)}"


_INT_RE = re.compile(r"^-?\d+$")


def _check_scalar(path: str, schema: dict, value) -> str | None:
    typ, fmt = schema.get("type"), schema.get("format", "")
    if typ == "boolean":
        return None if isinstance(value, bool) else _bad_value(path, "TYPE_BOOL", value)
    if typ == "integer" or fmt in ("int64", "uint64", "int32", "uint32"):
        tname = "TYPE_INT64" if "64" in fmt else "TYPE_INT32"
        if isinstance(value, bool):
            return _bad_value(path, tname, value)
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return None
        if isinstance(value, str) and _INT_RE.match(value):
            return None
        return _bad_value(path, tname, value)
    if typ == "number":
        if isinstance(value, bool):
            return _bad_value(path, "TYPE_DOUBLE", value)
        if isinstance(value, (int, float)):
            return None
        if isinstance(value, str):
            try:
                float(value)
                return None
            except ValueError:
                pass
        return _bad_value(path, "TYPE_DOUBLE", value)
    # string
    if not isinstance(value, str):
        return _bad_value(path, "TYPE_ENUM" if "enum" in schema else "TYPE_STRING", value)
    if "enum" in schema and value not in schema["enum"]:
        return _bad_value(path, "TYPE_ENUM", value)
    return None


def _check_param_value(name: str, spec: dict, value: str) -> str | None:
    typ = spec.get("type")
    if typ == "boolean" and value.strip().lower() not in ("true", "false", "1", "0"):
        return f"Invalid value at '{snake(name)}' (TYPE_BOOL), \"{value}\""
    if typ == "integer" and not _INT_RE.match(value.strip()):
        return f"Invalid value at '{snake(name)}' (TYPE_INT32), \"{value}\""
    if "enum" in spec and value not in spec["enum"]:
        return f"Invalid value at '{snake(name)}' (TYPE_ENUM), \"{value}\""
    return None


@functools.lru_cache(maxsize=1)
def get_discovery() -> Discovery:
    return Discovery()
