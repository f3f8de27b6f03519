"""Handler registry and the request/response objects handlers work with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .util import parse_bool

# full method id ("drive.files.create") -> handler(fake, req)
HANDLERS: dict[str, Callable] = {}
# full method id -> default `fields` mask when the caller gives none (Drive v3
# answers with a minimal field set unless asked; see drive.py)
DEFAULT_FIELDS: dict[str, str] = {}


def handles(*method_ids: str):
    def deco(fn):
        for mid in method_ids:
            HANDLERS[mid] = fn
        return fn

    return deco


@dataclass
class Raw:
    """A non-JSON response (media download, export, resumable session...)."""

    content: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    headers: dict = field(default_factory=dict)


@dataclass
class Req:
    fake: Any
    method: Any  # discovery.Method
    path_params: dict
    query: dict  # name -> list[str]
    body: Any = None  # parsed JSON metadata (or None)
    media: bytes | None = None  # uploaded media bytes
    media_type: str | None = None
    headers: dict = field(default_factory=dict)  # lower-cased names
    upload: bool = False

    @property
    def api(self) -> str:
        return self.method.api

    def p(self, name: str) -> str:
        return self.path_params[name]

    def q(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[-1] if vals else default

    def qlist(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def qbool(self, name: str, default: bool = False) -> bool:
        v = self.q(name)
        return default if v is None else parse_bool(name, v)

    def qint(self, name: str, default: int | None = None) -> int | None:
        v = self.q(name)
        return default if v is None else int(v)

    def json(self) -> dict:
        return self.body if isinstance(self.body, dict) else {}
