"""The transport-facing core: routing, validation, recording/counting,
simulated clock, quotas, fault injection, batch and resumable uploads."""

from __future__ import annotations

import datetime as _dt
import json
import random
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from . import access, multipart
from .discovery import Method, get_discovery
from .registry import DEFAULT_FIELDS, HANDLERS, Raw, Req
from .util import DEFAULT_EPOCH, ApiError, apply_fields, parse_fields, rfc3339

JSON_TYPE = "application/json; charset=UTF-8"
REASONS = {
    200: "OK",
    204: "No Content",
    308: "Resume Incomplete",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}
CHAOS_KINDS = ("429", "500", "503", "timeout", "timeout_after_apply", "500_after_apply")
SHEETS_READ_POSTS = ("getByDataFilter", "batchGetByDataFilter", "developerMetadata.search")


class SimulatedCrash(BaseException):
    """The client process dies here (raised through every `except Exception` of the client)."""


class FakeTimeout(Exception):
    """Raised by the core; each transport converts it to its own timeout."""


@dataclass
class RecordedRequest:
    api: str  # "sheets" | "drive" | "forms" | "gmail" | "unknown"
    method: str  # short id, e.g. "spreadsheets.values.batchGet"
    http_method: str
    url: str
    query: dict  # name -> list[str]
    body: Any = None  # parsed JSON body (metadata part for uploads)
    status: int = 0  # 0 == timed out before a response
    valid: bool = True  # False: unknown route / bad params / bad body
    error: str | None = None
    time: float = 0.0  # fake.clock when received
    transport: str = ""  # "http" | "requests" | "batch"
    media_bytes: int = 0

    @property
    def method_id(self) -> str:
        return f"{self.api}.{self.method}"

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 or self.status == 308


class ServerCore:
    def __init__(self, *, seed: int = 0, start_time: _dt.datetime | None = None, latency: float = 0.0):
        self.discovery = get_discovery()
        self.rng = random.Random(seed)
        self.clock = 0.0
        self.epoch = start_time or DEFAULT_EPOCH
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self._count_from = 0
        self._faults: list[dict] = []
        self._quotas: dict[str, int] = {}
        self._quota_log: dict[str, deque] = defaultdict(deque)
        self._uploads: dict[str, dict] = {}
        self._lock = threading.RLock()
        self._chaos: tuple[float, random.Random, tuple[str, ...]] | None = None  # (rate, rng, kinds)
        self.injected: dict[str, int] = {}  # faults injected by fail_at_random, by kind

    # ------------------------------------------------------------------ clock
    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("cannot go back in time")
        self.clock += float(seconds)

    def sleep(self, seconds: float) -> None:
        """Drop-in for time.sleep: advances the simulated clock."""
        self.advance(max(0.0, float(seconds)))

    def time(self) -> float:
        """Drop-in for time.time on the simulated clock."""
        return self.epoch.timestamp() + self.clock

    def monotonic(self) -> float:
        return self.clock

    def now(self) -> _dt.datetime:
        return self.epoch + _dt.timedelta(seconds=self.clock)

    def now_rfc3339(self) -> str:
        return rfc3339(self.now())

    # --------------------------------------------------------------- counting
    def counts(self, include_errors: bool = True) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.requests[self._count_from :]:
            if include_errors or r.ok:
                api = out.setdefault(r.api, {})
                api[r.method] = api.get(r.method, 0) + 1
        return out

    def total_requests(self) -> int:
        return len(self.requests) - self._count_from

    def reset_counts(self) -> None:
        """Start counting afresh (the full `requests` log is kept)."""
        self._count_from = len(self.requests)

    def invalid_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if not r.valid]

    def assert_all_valid(self) -> None:
        bad = self.invalid_requests()
        if bad:
            lines = [f"{r.http_method} {r.url} -> {r.status}: {r.error}" for r in bad]
            raise AssertionError("invalid requests sent to fake Google:\n" + "\n".join(lines))

    # ----------------------------------------------------------------- quotas
    def enforce_quotas(
        self,
        sheets_reads_per_minute: int | None = 60,
        sheets_writes_per_minute: int | None = 60,
        drive_per_minute: int | None = None,
        forms_per_minute: int | None = None,
        gmail_per_minute: int | None = None,
    ) -> None:
        self._quotas = {
            k: v
            for k, v in {
                "sheets_read": sheets_reads_per_minute,
                "sheets_write": sheets_writes_per_minute,
                "drive": drive_per_minute,
                "forms": forms_per_minute,
                "gmail": gmail_per_minute,
            }.items()
            if v is not None
        }
        self._quota_log.clear()

    def disable_quotas(self) -> None:
        self._quotas = {}

    def _bucket(self, m: Method) -> str:
        if m.api == "sheets":
            read = m.http_method == "GET" or m.short.endswith(SHEETS_READ_POSTS)
            return "sheets_read" if read else "sheets_write"
        return m.api

    def _check_quota(self, m: Method) -> None:
        bucket = self._bucket(m)
        limit = self._quotas.get(bucket)
        if limit is None:
            return
        log = self._quota_log[bucket]
        while log and log[0] <= self.clock - 60.0:
            log.popleft()
        if len(log) >= limit:
            raise quota_error(bucket, limit)
        log.append(self.clock)

    # ----------------------------------------------------------------- faults
    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        reason: str | None = None,
        method: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next `n` matching requests answer `status` without touching state.
        `method` filters by id: "values.update", "spreadsheets.values.update"
        or "sheets.spreadsheets.values.update"."""
        self._faults.append(dict(kind="fail", n=n, status=status, reason=reason, method=method, message=message))

    def timeout_next(self, n: int = 1, method: str | None = None, after_apply: bool = False) -> None:
        """The next `n` matching requests raise a network timeout in the
        transport. after_apply=True: the server applies the request first and
        the response is lost (the nasty "did my write happen?" case)."""
        self._faults.append(dict(kind="timeout", n=n, method=method, after_apply=after_apply))

    def crash_at(self, n: int, *, after_apply: bool = False, method: str | None = None) -> None:
        """The client process dies at the n-th request from now (1 = the next; with `method`, the
        n-th request of that method, named as for fail_next): SimulatedCrash is raised before that
        request is applied, or just after it (after_apply)."""
        self._crash = [int(n), bool(after_apply)]
        self._crash_method = method

    def before_next(self, method: str, action) -> None:
        """Run `action()` when the next request of `method` arrives, before it is applied: another
        client (a second machine) acting between two requests of the first."""
        self._faults.append(dict(kind="before", n=1, method=method, action=action))

    def refuse_when(
        self,
        when,
        status: int,
        reason: str,
        message: str | None = None,
        *,
        method: str | None = None,
        n: int | None = None,
    ) -> None:
        """Answer `status`/`reason` (nothing applied) to each request of `method` (named as for
        fail_next; None: any) whose parsed request `when(body, query)` holds, `n` times (None: every
        time): a refusal Google makes that the fake does not make yet, injected by a test (e.g. a
        pre-generated id on a Google Sheet, `generatedIdNotSupported`)."""
        self._faults.append(
            dict(kind="refuse", n=n, method=method, when=when, status=status, reason=reason, message=message)
        )

    def _take_refusal(self, m: Method, req) -> dict | None:
        for f in self._faults:
            sel = f["method"]
            if f["kind"] != "refuse" or (sel and not (m.id == sel or m.short == sel or m.id.endswith("." + sel))):
                continue
            if not f["when"](req.body, req.query):
                continue
            if f["n"] is not None:
                f["n"] -= 1
                if f["n"] <= 0:
                    self._faults.remove(f)
            return f
        return None

    def clear_faults(self) -> None:
        self._faults.clear()
        self._chaos = None

    def fail_at_random(self, rate: float, *, seed: int = 0, kinds: tuple[str, ...] = CHAOS_KINDS) -> None:
        """From now on each request fails with probability `rate`, drawn from its own seeded random
        stream, as one of `kinds`: "429", "500", "503" (refused, nothing applied), "timeout" (no
        answer, nothing applied), "timeout_after_apply" (applied, the answer lost), "500_after_apply"
        (applied, then answered 500). `injected` counts what was injected, by kind."""
        unknown = set(kinds) - set(CHAOS_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {CHAOS_KINDS}")
        self._chaos = (float(rate), random.Random(seed), tuple(kinds))

    def _chaos_fault(self) -> str | None:
        if self._chaos is None:
            return None
        rate, rng, kinds = self._chaos
        if rng.random() >= rate:
            return None
        kind = rng.choice(kinds)
        self.injected[kind] = self.injected.get(kind, 0) + 1
        return kind

    def _take_fault(self, kind: str, m: Method) -> dict | None:
        for f in self._faults:
            if f["kind"] != kind:
                continue
            sel = f["method"]
            if sel and not (m.id == sel or m.short == sel or m.id.endswith("." + sel)):
                continue
            f["n"] -= 1
            if f["n"] <= 0:
                self._faults.remove(f)
            return f
        return None

    # --------------------------------------------------------------- handling
    def handle(
        self, http_method: str, url: str, headers: dict | None, body: bytes | None, transport: str
    ) -> tuple[int, dict, bytes]:
        with self._lock:
            headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
            parts = urlsplit(url)
            query = parse_qs(parts.query, keep_blank_values=True)
            batch_api = self.discovery.batch_paths.get(parts.path)
            if batch_api and http_method.upper() == "POST":
                if parts.path == "/batch":
                    batch_api = {"forms.googleapis.com": "forms", "gmail.googleapis.com": "gmail"}.get(
                        parts.hostname or "", "sheets"
                    )
                return self._handle_batch(batch_api, url, headers, body or b"", transport)
            if "upload_id" in query:
                return self._handle_resumable(http_method, url, query, headers, body or b"", transport)
            return self._dispatch(http_method.upper(), url, parts.path, query, headers, body or b"", transport)

    def token_for(self, email: str, scopes=None) -> str:
        """An OAuth token that makes requests as `email` instead of the fake's identity. Without
        `scopes`: a person in Google's own UI (an expert, CDB), every scope; with `scopes`: the app's
        token, allowed only what those scopes allow (access.py)."""
        return access.issue_token(self, email, scopes)

    def open_with_app(self, file_id: str) -> None:
        """The file is handed to the app (Google Picker, "Open with"): drive.file sees it."""
        self.__dict__.setdefault("app_files", set()).add(file_id)

    def _dispatch(self, http_method, url, path, query, headers, body, transport, upload_session=None):
        from .identities import caller_of

        self.caller = caller_of(self, headers or {})
        self.clock += self.latency
        crash = getattr(self, "_crash", None)
        crash_after = False
        if crash and getattr(self, "_crash_method", None):
            crash = None  # counted below, once the request's method is known
        if crash:
            crash[0] -= 1
            if crash[0] <= 0:
                self._crash = None
                if not crash[1]:
                    raise SimulatedCrash(f"crashed before {http_method} {path}")
                crash_after = True
        match = self.discovery.match(http_method, path)
        rec = RecordedRequest(
            self.discovery.api_for_path(path), "UNKNOWN", http_method, url, query, time=self.clock, transport=transport
        )
        self.requests.append(rec)
        if match is None:
            rec.valid = False
            return self._finish(rec, None, ApiError(404, f"Method not found: {http_method} {path}"))
        m, path_params, upload = match
        rec.api, rec.method = m.api, m.short + ("#chunk" if upload_session else "")
        sel = getattr(self, "_crash_method", None)
        if sel and getattr(self, "_crash", None) and (m.id == sel or m.short == sel or m.id.endswith("." + sel)):
            self._crash[0] -= 1
            if self._crash[0] <= 0:
                after, self._crash, self._crash_method = self._crash[1], None, None
                if not after:
                    raise SimulatedCrash(f"crashed before {http_method} {path}")
                crash_after = True
        before = self._take_fault("before", m)
        if before:
            before["action"]()
        tfault = self._take_fault("timeout", m)
        chaos = self._chaos_fault() if not upload_session else None
        if chaos in ("timeout", "timeout_after_apply"):
            tfault = {"after_apply": chaos == "timeout_after_apply"}
        if tfault and not tfault["after_apply"]:
            rec.error = "timeout"
            raise FakeTimeout()
        try:
            fault = self._take_fault("fail", m)
            if chaos in ("429", "500", "503"):
                fault = {"status": int(chaos), "message": None, "reason": None}
            if fault:
                raise ApiError(
                    fault["status"],
                    fault["message"] or _fault_message(fault["status"]),
                    reason=fault["reason"] or _fault_reason(fault["status"]),
                    domain="usageLimits" if fault["status"] == 429 else "global",
                )
            if upload_session is None:
                self._check_quota(m)
            try:
                req = self._build_request(m, path_params, upload, query, headers, body, upload_session)
            except ApiError:
                rec.valid = False
                raise
            rec.body = req.body
            rec.media_bytes = len(req.media or b"")
            access.check(self, req)  # the token's scopes, the caller's access to the file
            refusal = self._take_refusal(m, req)
            if refusal:
                raise ApiError(
                    refusal["status"],
                    refusal["message"] or _fault_message(refusal["status"]),
                    reason=refusal["reason"],
                )
            if req.upload and req.q("uploadType") == "resumable" and upload_session is None:
                result = self._start_resumable(req, url)
            else:
                handler = HANDLERS.get(m.id)
                if handler is None:
                    raise ApiError(501, f"fake Google: {m.id} is not implemented")
                result = handler(self, req)
                access.remember_created(self, req, result)
            out = self._finish(rec, req, result)
        except ApiError as err:
            out = self._finish(rec, None, err)
        if crash_after:
            raise SimulatedCrash(f"crashed after {http_method} {path}")
        if chaos == "500_after_apply" and rec.ok:
            rec.error = "500 (after apply)"
            out = self._finish(rec, None, ApiError(500, _fault_message(500), reason=_fault_reason(500)))
        if tfault:
            rec.error = "timeout (after apply)"
            raise FakeTimeout()
        return out

    def _build_request(self, m, path_params, upload, query, headers, body, session):
        q = {k: v for k, v in query.items() if k != "upload_id"}
        ctype = headers.get("content-type", "")
        meta, media, media_type = None, None, None
        if session is not None:
            meta, media, media_type = session["meta"], body, session["media_type"]
        elif upload:
            ut = self.discovery.validate_upload_type(q)
            if ut == "multipart":
                meta, media, media_type = multipart.parse_related(body, ctype)
            elif ut == "media":
                media, media_type = body, ctype.split(";")[0].strip() or None
            else:
                meta = _parse_json(body) if body.strip() else None
                media_type = headers.get("x-upload-content-type")
        elif body.strip() and m.request_ref is not None:
            meta = _parse_json(body)
        self.discovery.validate_query(m, q)
        if meta is not None:
            self.discovery.validate_body(m, meta)
        return Req(self, m, path_params, q, meta, media, media_type, headers, upload)

    def _finish(self, rec, req, result):
        if isinstance(result, ApiError):
            rec.status, rec.error = result.code, result.message
            return result.code, {"content-type": JSON_TYPE}, json.dumps(result.to_body()).encode()
        if isinstance(result, Raw):
            rec.status = result.status
            headers = {"content-type": result.content_type, **result.headers}
            headers.setdefault("content-length", str(len(result.content)))
            return result.status, headers, result.content
        if result is None:
            rec.status = 204
            return 204, {"content-length": "0"}, b""
        spec = req.q("fields") if req is not None else None
        if spec is None and req is not None:
            spec = DEFAULT_FIELDS.get(req.method.id)
        try:
            result = apply_fields(result, parse_fields(spec)) if spec else result
        except ApiError as err:
            return self._finish(rec, None, err)
        rec.status = 200
        return 200, {"content-type": JSON_TYPE}, json.dumps(result).encode()

    # --------------------------------------------------------- resumable upload
    def _start_resumable(self, req: Req, url: str) -> Raw:
        sid = "".join(
            self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") for _ in range(40)
        )
        total = req.headers.get("x-upload-content-length")
        self._uploads[sid] = dict(
            method=req.method,
            path_params=req.path_params,
            meta=req.body,
            media_type=req.media_type,
            total=int(total) if total else None,
            data=bytearray(),
            url=url,
        )
        sep = "&" if "?" in url else "?"
        return Raw(b"", "text/plain", 200, {"location": f"{url}{sep}{urlencode({'upload_id': sid})}"})

    def _handle_resumable(self, http_method, url, query, headers, body, transport):
        sid = query["upload_id"][0]
        sess = self._uploads.get(sid)
        if sess is None or http_method.upper() != "PUT":
            return (
                404,
                {"content-type": JSON_TYPE},
                json.dumps(ApiError(404, "Upload session not found").to_body()).encode(),
            )
        rng = headers.get("content-range", "")
        total = sess["total"]
        if rng:
            spec, _, tot = rng.replace("bytes", "").strip().partition("/")
            if tot.strip() != "*":
                total = int(tot)
            if spec.strip() != "*":
                start = int(spec.split("-")[0])
                del sess["data"][start:]
                sess["data"] += body
        else:
            sess["data"] += body
            total = len(sess["data"]) if total is None else total
        if total is None or len(sess["data"]) < total:
            m = sess["method"]
            self.requests.append(
                RecordedRequest(
                    m.api,
                    m.short + "#chunk",
                    "PUT",
                    url,
                    query,
                    status=308,
                    time=self.clock,
                    transport=transport,
                    media_bytes=len(body),
                )
            )
            hdr = {"range": f"bytes=0-{len(sess['data']) - 1}"} if sess["data"] else {}
            return 308, hdr, b""
        del self._uploads[sid]
        parts = urlsplit(sess["url"])
        return self._dispatch(
            sess["method"].http_method,
            sess["url"],
            parts.path,
            {k: v for k, v in query.items() if k != "upload_id"},
            headers,
            bytes(sess["data"]),
            transport,
            upload_session=sess,
        )

    # ------------------------------------------------------------------ batch
    def _handle_batch(self, api, url, headers, body, transport):
        rec = RecordedRequest(api, "batch", "POST", url, {}, time=self.clock, transport=transport)
        self.requests.append(rec)
        try:
            parts = multipart.split(body, headers.get("content-type", ""))
        except ValueError as exc:
            rec.valid, rec.status, rec.error = False, 400, str(exc)
            return 400, {"content-type": JSON_TYPE}, json.dumps(ApiError(400, str(exc)).to_body()).encode()
        if len(parts) > 100:
            rec.status, rec.error = 400, "Too many requests in batch"
            return (
                400,
                {"content-type": JSON_TYPE},
                json.dumps(ApiError(400, "A batch request cannot contain more than 100 requests").to_body()).encode(),
            )
        responses = []
        host = urlsplit(url).netloc
        for part_headers, payload in parts:
            method, path, inner_headers, inner_body = multipart.parse_http_request(payload)
            inner_url = f"https://{inner_headers.get('host', host)}{path}"
            pu = urlsplit(inner_url)
            status, h, content = self._dispatch(
                method,
                inner_url,
                pu.path,
                parse_qs(pu.query, keep_blank_values=True),
                inner_headers,
                inner_body,
                "batch",
            )
            cid = part_headers.get("content-id", "")
            responses.append((cid, status, REASONS.get(status, "Unknown"), h, content))
        boundary = "batch_" + "".join(self.rng.choice("0123456789abcdef") for _ in range(24))
        rec.status = 200
        return (
            200,
            {"content-type": f"multipart/mixed; boundary={boundary}"},
            multipart.build_batch_response(boundary, responses),
        )


def _parse_json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON payload received. Unexpected token.")


def _fault_message(status: int) -> str:
    return {
        429: "Rate Limit Exceeded",
        500: "Internal error encountered.",
        503: "The service is currently unavailable.",
        403: "The caller does not have permission",
    }.get(status, REASONS.get(status, "Error"))


def _fault_reason(status: int) -> str:
    return {
        429: "rateLimitExceeded",
        500: "backendError",
        503: "backendError",
        403: "forbidden",
        400: "badRequest",
        404: "notFound",
    }.get(status, "unknown")


def quota_error(bucket: str, limit: int) -> ApiError:
    if bucket.startswith("sheets"):
        kind = "Read" if bucket == "sheets_read" else "Write"
        msg = (
            f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} "
            f"requests per minute per user' of service 'sheets.googleapis.com' for "
            f"consumer 'project_number:000000000000'."
        )
        return ApiError(
            429,
            msg,
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "sheets.googleapis.com",
                        "quota_limit_value": str(limit),
                        "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                    },
                }
            ],
        )
    return ApiError(429, "Rate Limit Exceeded", reason="rateLimitExceeded", domain="usageLimits")
