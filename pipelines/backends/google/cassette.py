"""`contest preflight --record DIR`: the requests sent to Google and its answers, as a cassette.

A cassette is one JSON file (docs/google-setup.md, "Recording a cassette"):

    {"format": "contest-cassette/1",
     "recorded_with": "contest preflight",
     "setup": {"shared_drive_id": "...", "root_folder_id": null,
               "form": {"kind": "forms_api", "form_id": "...", "spreadsheet_id": null}},
     "interactions": [
        {"method": "POST", "uri": "https://www.googleapis.com/drive/v3/files?...",
         "content_type": "application/json", "body": {...} | null | {"base64": "..."},
         "status": 200, "response": {...} | {"bytes": 1234, "head": "%PDF-1.4"}}]}

What is left out, so that a cassette can be published with the code: every header (the access
token travels in one), the token exchanges themselves (oauth2.googleapis.com), `key` and
`access_token` query parameters. What is masked: every e-mail address (each one becomes
person-N@example.org, the same N for the same address), display names and photo links, the text of
a mail (its addresses masked inside), the answers of form responses and the cells below the header
row of a responses sheet. The preflight reads no applicant's data, but the form's responses are
read to count them: their answers never reach the file.

The test suite replays every cassette under tests/cassettes/ against the fake
(tests/backends/google/test_google_cassettes.py) and fails on any difference of status or of a
field the product reads.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

FORMAT = "contest-cassette/1"
SECRET_HOSTS = ("oauth2.googleapis.com", "accounts.google.com", "oauth2.")
SECRET_PARAMS = {"key", "access_token", "oauth_token"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PERSONAL_KEYS = {"displayName", "photoLink", "emailMessage"}


class Recorder:
    """Wraps the transports open_google uses (httplib2 for googleapiclient, requests for gspread)
    and keeps each request with its answer, masked as the module says."""

    def __init__(self) -> None:
        self.interactions: list[dict[str, Any]] = []
        self._people: dict[str, str] = {}

    # --- wiring -----------------------------------------------------------------------------------
    def wrap(self, http_factory: Callable[[], Any], requests_adapter: Any = None) -> tuple[Callable[[], Any], Any]:
        """The transports open_google would use (httplib2 for googleapiclient, a requests adapter for
        gspread: Google's own when None), wrapped so that each request and answer is kept."""
        from requests.adapters import HTTPAdapter

        return (
            lambda: _RecordingHttp(http_factory(), self),
            _recording_adapter(requests_adapter or HTTPAdapter(), self),
        )

    # --- recording -------------------------------------------------------------------------------
    def record(
        self, method: str, uri: str, headers: dict | None, body: Any, status: int, content: bytes | str | None
    ) -> None:
        parts = urlsplit(uri)
        if any(h in (parts.hostname or "") for h in SECRET_HOSTS) or parts.path.endswith("/token"):
            return  # a token exchange: nothing of it is kept
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SECRET_PARAMS]
        uri = self._mask_text(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")))
        ctype = ""
        for k, v in (headers or {}).items():
            if str(k).lower() == "content-type":
                ctype = str(v)
        self.interactions.append(
            {
                "method": method.upper(),
                "uri": uri,
                "content_type": ctype.split(";")[0] if ctype.startswith("application/json") else ctype,
                "body": self._body(body, ctype),
                "status": int(status),
                "response": self._response(uri, content),
            }
        )

    def _body(self, body: Any, ctype: str) -> Any:
        data = _bytes(body)
        if not data:
            return None
        if ctype.startswith("application/json"):
            parsed = json.loads(data.decode("utf-8"))
            if isinstance(parsed, dict) and isinstance(parsed.get("raw"), str):  # a Gmail message
                mail = base64.urlsafe_b64decode(parsed["raw"] + "=" * (-len(parsed["raw"]) % 4)).decode(
                    "utf-8", "replace"
                )
                parsed["raw"] = base64.urlsafe_b64encode(self._mask_text(mail).encode("utf-8")).decode("ascii")
            return self._mask(parsed)
        return {"base64": base64.b64encode(self._mask_text(data.decode("latin-1")).encode("latin-1")).decode("ascii")}

    def _response(self, uri: str, content: bytes | str | None) -> Any:
        data = _bytes(content)
        try:
            parsed = json.loads(data.decode("utf-8")) if data else None
        except (ValueError, UnicodeDecodeError):
            return {"bytes": len(data), "head": data[:8].decode("latin-1")}
        path = urlsplit(uri).path
        if isinstance(parsed, dict) and path.endswith("/responses"):  # forms.responses.list: answers dropped
            parsed["responses"] = [
                {k: ({} if k == "answers" else v) for k, v in r.items()} for r in parsed.get("responses", [])
            ]
        if isinstance(parsed, dict) and "/values/" in path and isinstance(parsed.get("values"), list):
            rows = parsed["values"]  # a responses sheet: the header row stays, the answers do not
            parsed["values"] = rows[:1] + [["" for _ in row] for row in rows[1:]]
        return self._mask(parsed)

    def _mask(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ("(masked)" if k in PERSONAL_KEYS and v else self._mask(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._mask(v) for v in value]
        if isinstance(value, str):
            return self._mask_text(value)
        return value

    def _mask_text(self, text: str) -> str:
        def person(m: re.Match[str]) -> str:
            address = m.group(0).lower()
            if address not in self._people:
                self._people[address] = f"person-{len(self._people) + 1}@example.org"
            return self._people[address]

        return EMAIL.sub(person, text)

    # --- the file --------------------------------------------------------------------------------
    def cassette(self, config) -> dict[str, Any]:
        backend, form = config.backend, config.form
        return {
            "format": FORMAT,
            "recorded_with": "contest preflight",
            "recorded_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "setup": {
                "shared_drive_id": backend.shared_drive_id,
                "root_folder_id": backend.root_folder_id,
                "form": {"kind": form.kind, "form_id": form.form_id, "spreadsheet_id": form.spreadsheet_id},
            },
            "interactions": self.interactions,
        }

    def save(self, directory: Path, config) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"preflight-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(self.cassette(config), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return b""


class _RecordingHttp:
    """An httplib2.Http look-alike around another: every request and its answer recorded."""

    def __init__(self, inner: Any, recorder: Recorder):
        self.inner, self.recorder = inner, recorder

    def request(self, uri, method="GET", body=None, headers=None, *args, **kwargs):
        resp, content = self.inner.request(uri, method, body, headers, *args, **kwargs)
        self.recorder.record(method, uri, headers, body, int(resp.status), content)
        return resp, content

    def __getattr__(self, name: str) -> Any:  # timeout, redirect_codes, close, …: the inner Http's
        return getattr(self.inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # googleapiclient sets e.g. redirect_codes (308 is a resumable upload's answer, not a
        # redirect): on the Http that sends
        if name in ("inner", "recorder"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.inner, name, value)


def _recording_adapter(inner: Any, recorder: Recorder) -> Any:
    from requests.adapters import BaseAdapter

    class RecordingAdapter(BaseAdapter):
        def send(self, request, **kwargs):
            response = inner.send(request, **kwargs)
            recorder.record(
                request.method, request.url, dict(request.headers), request.body, response.status_code, response.content
            )
            return response

        def close(self) -> None:
            inner.close()

    return RecordingAdapter()
