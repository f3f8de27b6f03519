"""The only code that talks to Google: one Transport per API (sheets, drive, forms, gmail).

Each transport executes a googleapiclient request (or a gspread call) behind
- a client-side rate limiter: at most `per_minute` requests in any rolling minute (a token bucket whose
  tokens come back 60 s after being spent, so a short job runs at once and a long one never exceeds
  Google's per-minute quota; Sheets reads and writes have separate quotas and separate buckets);
- a bounded, truncated exponential backoff with jitter, min(2^n + random, 32 s), at most `max_retries`
  retries, on 429, 5xx, 403 rate-limit reasons and network failures (timeouts, resets, TLS)
  (docs/google.md "Quotas and retries").
A failure that shows there is no route to Google at all (the name does not resolve, the connection
is refused, the network or host is unreachable) is not retried: waiting minutes would not bring the
network back, and cron's next tick tries again. It ends at once, said in kk/ru.
A 403 storageQuotaExceeded is never retried: it is a configuration error with a fix to tell.
Failures end as the typed errors of pipelines/ports.py (NotFound, Conflict, QuotaExceeded, ...),
raised from the client library's exception, with Google's status and reason kept.
Every request is counted per API+method and per operation label (`Stats.operation`).
"""

from __future__ import annotations

import copy
import errno
import http.client
import json
import random
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pipelines.i18n import Said
from pipelines.ports import (
    BackendError,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    Unavailable,
)

# 403s that clear by waiting, retried like a 429 (Drive's sharing limit included: sharing many sheets
# at once trips it)
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "sharingRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
CONFLICT_REASONS = {
    "failedPrecondition",
    "conditionNotMet",
    "alreadyExists",
    "FAILED_PRECONDITION",
    "ALREADY_EXISTS",
    "ABORTED",
}
MAX_WAIT = 32.0
ID_BATCH = (
    100  # ids reserved per files.generateIds (Drive allows 1000): a new file costs 1 request in 100; unused ones lapse
)
STORAGE_HELP = (
    "Google refused to store the file (403 storageQuotaExceeded): service accounts have no "
    "Drive storage of their own. Set backend.shared_drive_id to a shared drive the service "
    "account is a member of (Content manager), or use backend.auth: oauth to act as a CDB user."
)


class Stats:
    """Request counts: per API+method, per operation label, retries and time spent waiting."""

    def __init__(self) -> None:
        self.methods: dict[str, int] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.retries = 0
        self.waited = 0.0  # seconds the limiter and the backoff slept
        self._stack: list[tuple[str, dict[str, int]]] = []

    @contextmanager
    def operation(self, label: str) -> Iterator[None]:
        """Count the requests made inside under `label` (innermost label wins)."""
        calls: dict[str, int] = {}
        self._stack.append((label, calls))
        try:
            yield
        finally:
            self._stack.pop()
            op = self.operations.setdefault(label, {"calls": 0, "requests": {}, "max_per_call": {}})
            op["calls"] += 1
            for api, n in calls.items():
                op["max_per_call"][api] = max(op["max_per_call"].get(api, 0), n)

    def count(self, api: str, method: str) -> None:
        key = f"{api}.{method}"
        self.methods[key] = self.methods.get(key, 0) + 1
        label, calls = self._stack[-1] if self._stack else ("(no operation)", {})
        op = self.operations.setdefault(label, {"calls": 0, "requests": {}, "max_per_call": {}})
        op["requests"][key] = op["requests"].get(key, 0) + 1
        calls[api] = calls.get(api, 0) + 1

    def report(self) -> list[str]:
        total = sum(self.methods.values())
        by_api: dict[str, int] = {}
        for key, n in self.methods.items():
            by_api[key.split(".", 1)[0]] = by_api.get(key.split(".", 1)[0], 0) + n
        lines = [
            f"Google API requests: {total} ("
            + ", ".join(f"{api} {n}" for api, n in sorted(by_api.items()))
            + f"); {self.retries} retried, {self.waited:.1f} s waited for quota/backoff"
        ]
        lines += [f"  {key}: {n}" for key, n in sorted(self.methods.items())]
        lines.append("Requests per operation (calls; requests; most requests of one call per API):")
        for label, op in sorted(self.operations.items()):
            reqs = sum(op["requests"].values())
            most = ", ".join(f"{a} {n}" for a, n in sorted(op["max_per_call"].items()))
            detail = ", ".join(f"{k} {n}" for k, n in sorted(op["requests"].items()))
            lines.append(f"  {label}: {op['calls']} calls; {reqs} requests ({detail}); max/call {most or '-'}")
        return lines


class RateLimiter:
    """At most `per_minute` acquisitions in any rolling 60 s on the given clock."""

    def __init__(self, per_minute: int, clock: Callable[[], float], sleep: Callable[[float], None]):
        self.per_minute, self.clock, self.sleep = max(1, int(per_minute)), clock, sleep
        self.spent: deque[float] = deque()

    def acquire(self) -> float:
        waited = 0.0
        while True:
            now = self.clock()
            while self.spent and self.spent[0] <= now - 60.0:
                self.spent.popleft()
            if len(self.spent) < self.per_minute:
                self.spent.append(now)
                return waited
            pause = max(0.01, self.spent[0] + 60.0 - now)
            self.sleep(pause)
            waited += pause


class _Failure(Exception):
    def __init__(self, status: int, reason: str, message: str):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def _network_failures() -> tuple[type[BaseException], ...]:
    """Exceptions meaning the request got no answer: it may or may not have reached Google."""
    kinds: list[type[BaseException]] = [
        socket.timeout,
        TimeoutError,
        ConnectionError,  # ConnectionResetError, BrokenPipeError, ConnectionRefusedError, ConnectionAbortedError
        http.client.RemoteDisconnected,
        http.client.IncompleteRead,
        ssl.SSLError,  # SSLEOFError: the TLS connection was cut
        socket.gaierror,  # DNS
    ]
    try:
        import requests

        kinds += [requests.exceptions.Timeout, requests.exceptions.ConnectionError]
    except ImportError:  # pragma: no cover
        pass
    try:
        import httplib2

        kinds.append(httplib2.HttpLib2Error)
    except ImportError:  # pragma: no cover
        pass
    from google.auth.exceptions import TransportError  # the network failed while refreshing the token

    kinds.append(TransportError)
    return tuple(kinds)


NETWORK_FAILURES = _network_failures()


def no_route_error(api: str, exc: BaseException) -> Unavailable:
    """Unavailable, said in kk/ru, for a request that found no route to Google (`no_route`)."""
    cut = no_route(exc) or exc
    said = Said("google_no_route", api=api, error=f"{type(cut).__name__}: {one_line(cut)}")
    error = Unavailable(str(said))
    error.__cause__ = said
    return error


NO_ROUTE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    getattr(errno, "EHOSTDOWN", errno.EHOSTUNREACH),
}


def no_route(exc: BaseException) -> BaseException | None:
    """The failure inside `exc` (its causes, a library's wrapped `reason` or `args`) that shows no
    route to Google: a name that does not resolve, a refused connection, an unreachable network.
    None for anything that may clear by waiting (a timeout, a reset, a TLS error)."""
    try:
        from httplib2 import ServerNotFoundError  # httplib2's "Unable to find the server": DNS
    except ImportError:  # pragma: no cover
        ServerNotFoundError = socket.gaierror  # noqa: N806
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (socket.gaierror, ServerNotFoundError)):
            return item
        if isinstance(item, OSError) and not isinstance(item, TimeoutError) and item.errno in NO_ROUTE_ERRNOS:
            return item
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return None


def _parse_error(status: int, content: bytes | str | dict | None, fallback: str) -> _Failure:
    data: Any = content
    if isinstance(content, (bytes, str)):
        try:
            data = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            data = None
    err = data.get("error", data) if isinstance(data, dict) else {}
    err = err if isinstance(err, dict) else {}
    reasons = [e.get("reason", "") for e in err.get("errors") or [] if isinstance(e, dict)]
    reasons += [d.get("reason", "") for d in err.get("details") or [] if isinstance(d, dict)]
    reasons.append(err.get("status", "") if isinstance(err.get("status"), str) else "")  # e.g. FAILED_PRECONDITION
    reason = next((r for r in reasons if r), "")
    return _Failure(status, reason, str(err.get("message") or fallback or f"HTTP {status}"))


def _failure(exc: BaseException) -> _Failure | None:
    """An HTTP error of either client library -> _Failure; None for anything else."""
    from googleapiclient.errors import HttpError

    if isinstance(exc, HttpError):
        return _parse_error(int(exc.resp.status), exc.content, exc.reason)
    try:
        from gspread.exceptions import APIError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, APIError):
        status = getattr(exc.response, "status_code", None) or int(exc.code or 0)
        return _parse_error(int(status), {"error": exc.error}, str(exc))
    return None


def _auth_error(exc: BaseException) -> bool:
    from google.auth.exceptions import GoogleAuthError

    return isinstance(exc, GoogleAuthError)


def retryable(f: _Failure) -> bool:
    return f.status == 429 or f.status >= 500 or (f.status == 403 and f.reason in RATE_REASONS)


def error_kind(status: int, reason: str) -> type[BackendError]:
    """The typed error for an HTTP failure of Google's."""
    if status == 429 or reason in RATE_REASONS or reason == "storageQuotaExceeded":
        return QuotaExceeded
    if status in (409, 412) or reason in CONFLICT_REASONS:
        return Conflict
    if status == 404 or reason == "notFound":
        return NotFound
    if status in (401, 403):
        return PermissionDenied
    if status >= 500:
        return Unavailable
    if status == 400:
        return InvalidRequest
    return BackendError


class Transport:
    """Executes one API's requests: limiter, bounded backoff, counting, errors -> the ports' typed errors."""

    def __init__(
        self,
        api: str,
        stats: Stats,
        *,
        per_minute: int,
        max_retries: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        write_per_minute: int | None = None,
    ):
        self.api, self.stats, self.max_retries = api, stats, max(0, int(max_retries))
        self.sleep, self.rng = sleep, rng or random.Random()
        self.read_limiter = RateLimiter(per_minute, clock, sleep)
        self.write_limiter = RateLimiter(write_per_minute, clock, sleep) if write_per_minute else self.read_limiter

    def execute(
        self,
        request,
        *,
        recover: Callable[[], tuple[bool, Any]] | None = None,
        recover_always: bool = False,
        beat: Callable[[], None] | None = None,
    ) -> Any:
        """Run a googleapiclient HttpRequest. `recover`, given for non-idempotent writes, is asked after
        a timeout whether the write happened after all ((True, result)) before the request is sent again;
        with `recover_always` (a request a person notices: a share that mails) it is asked after a 5xx
        or 429 too, since Google may have applied a request it then failed to answer. `beat`: called
        before each attempt (the control store's lease renewal, Clients.heartbeat)."""
        method = (request.methodId or "unknown").split(".", 1)[-1]
        write = request.method.upper() != "GET" and not method.endswith(("batchGet", "getByDataFilter"))
        return self._run(method, write, lambda: request.execute(num_retries=0), recover, recover_always, beat)

    def call(
        self, method: str, fn: Callable[[], Any], *, write: bool = False, beat: Callable[[], None] | None = None
    ) -> Any:
        """Run a gspread call that makes exactly one request (`method`, e.g. "spreadsheets.values.get")."""
        return self._run(method, write, fn, None, beat=beat)

    def _run(
        self,
        method: str,
        write: bool,
        send: Callable[[], Any],
        recover: Callable[[], tuple[bool, Any]] | None,
        recover_always: bool = False,
        beat: Callable[[], None] | None = None,
    ) -> Any:
        limiter = self.write_limiter if write else self.read_limiter
        attempt = 0
        while True:
            if beat is not None:
                # before each attempt, not only the first: a request retried on timeouts (60 s each)
                # and backoff can outlast the lease, which must be renewed while it is retried
                beat()
            self.stats.waited += limiter.acquire()
            self.stats.count(self.api, method)
            failure: _Failure | None = None
            try:
                return send()
            except NETWORK_FAILURES as exc:
                if no_route(exc) is not None:
                    raise no_route_error(self.api, exc)  # noqa: B904 - its cause is the kk/ru text
                problem: BaseException = exc
                timed_out = True  # unanswered: a write may have happened, `recover` asks
            except Exception as exc:  # noqa: BLE001 - only HTTP errors are handled, the rest re-raised
                if no_route(exc) is not None:  # e.g. a bare OSError "No route to host" from the socket
                    raise no_route_error(self.api, exc)  # noqa: B904 - its cause is the kk/ru text
                failure = _failure(exc)
                if failure is None and _auth_error(exc):
                    if no_route(exc) is not None:  # the token could not be fetched: no network
                        raise no_route_error(self.api, exc)  # noqa: B904 - its cause is the kk/ru text
                    said = Said("google_credentials_refused", error=one_line(exc))
                    raise PermissionDenied(str(said)) from said
                if failure is None:
                    raise
                status, reason = failure.status, failure.reason or None
                if status == 403 and failure.reason == "storageQuotaExceeded":
                    raise worded(
                        QuotaExceeded(STORAGE_HELP, status=status, reason=reason), "google_storage_quota"
                    ) from exc
                if not retryable(failure):
                    kind = error_kind(status, failure.reason)
                    raise worded(
                        kind(
                            f"Google {self.api} {method}: {status} {one_line(failure.message)}",
                            status=status,
                            reason=reason,
                        ),
                        HTTP_WORDS.get(kind, "google_http_other"),
                        api=self.api,
                        method=method,
                        code=f"{status} {failure.reason}".strip(),
                    ) from exc
                problem, timed_out = exc, False
            if attempt >= self.max_retries:
                raise self._gave_up(method, attempt + 1, problem, failure) from problem
            pause = min(2**attempt + self.rng.random(), MAX_WAIT)
            self.stats.retries += 1
            self.stats.waited += pause
            self.sleep(pause)
            attempt += 1
            if (timed_out or recover_always) and recover is not None:
                done, result = recover()
                if done:
                    return result

    def _gave_up(self, method: str, attempts: int, problem: BaseException, failure: _Failure | None) -> BackendError:
        where = f"Google {self.api} {method}: gave up after {attempts} attempts"
        if failure is None:
            error = type(problem).__name__ + (f": {one_line(problem)}" if str(problem) else "")
            said = Said("google_no_answer", api=self.api, method=method, attempts=attempts, error=error)
            gave_up = Unavailable(str(said))
            gave_up.__context__ = said  # the kk/ru text (i18n.error_text); the cause is the failure
            return gave_up
        status, reason = failure.status, failure.reason or None
        detail = f"{status} {one_line(failure.message)}"
        code = f"{status} {failure.reason}".strip()
        if status >= 500:
            return worded(
                Unavailable(
                    f"{where} ({detail}); Google is having trouble: see "
                    "https://www.google.com/appsstatus and try again later",
                    status=status,
                    reason=reason,
                ),
                "google_trouble",
                api=self.api,
                method=method,
                attempts=attempts,
                code=code,
            )
        setting = {"sheets": "backend.sheets_per_minute", "drive": "backend.drive_per_minute"}.get(self.api)
        return worded(
            QuotaExceeded(
                f"{where} ({detail}); Google's rate limit still refuses: try again later"
                + (f" or lower {setting}" if setting else ""),
                status=status,
                reason=reason,
            ),
            "google_rate_limited_setting" if setting else "google_rate_limited",
            api=self.api,
            method=method,
            attempts=attempts,
            code=code,
            setting=setting or "",
        )


# Google's HTTP failures by kind: the kk/ru line saying what to do (Google's own English words stay
# the error's message, for the log)
HTTP_WORDS: dict[type[BackendError], str] = {
    NotFound: "google_http_not_found",
    PermissionDenied: "google_http_permission",
    Conflict: "google_http_conflict",
    InvalidRequest: "google_http_invalid",
    QuotaExceeded: "google_rate_limited",
    Unavailable: "google_trouble",
}


def worded(error: BackendError, key: str, /, **values: Any) -> BackendError:
    """`error` (its English message kept for the log) with its kk/ru line: `error.said`."""
    error.said = Said(key, **values)
    return error


def one_line(value: object) -> str:
    """A message of Google's or of a library's, its line breaks (and extra spaces) folded away."""
    return " ".join(str(value).split())


class Clients:
    """What every adapter of the backend shares: the API clients, their transports and the stats."""

    def __init__(
        self,
        *,
        sheets,
        drive,
        forms,
        gmail,
        gspread,
        transports: dict[str, Transport],
        stats: Stats,
        backend,
        edition: str,
        edition_name: str,
        identity: str | None,
    ):
        self.gspread = gspread
        # googleapiclient builds a resource's methods (and their docstrings) on every call of e.g.
        # service.spreadsheets(): slow. The resources are made once here.
        self.spreadsheets = sheets.spreadsheets()
        self.values = self.spreadsheets.values()
        self.files, self.permissions, self.about = drive.files(), drive.permissions(), drive.about()
        self.forms = forms.forms() if forms is not None else None
        self.responses = self.forms.responses() if self.forms is not None else None
        self.messages = gmail.users().messages() if gmail is not None else None
        self.transports, self.stats, self.backend = transports, stats, backend
        self.edition, self.edition_name, self.identity = edition, edition_name, identity
        self._asked = False
        self._ids: list[str] = []  # file ids reserved with files.generateIds, not used yet
        self._ids_recorded = False  # the batch is in the control store (record_ids)
        # Set by open_google: keep a batch of reserved ids in the control store before one is used
        # (False while the store is not known), and read back an earlier run's.
        self.record_ids: Callable[[list[str]], bool] | None = None
        self.recorded_ids: Callable[[], list[str] | None] | None = None
        self._earlier: list[dict[str, Any]] | None = None  # files made with an earlier run's ids
        # Set by open_google: the ledger of Google Workspace files (created without a reserved id,
        # Drive refuses one for them): append [key, id] rows, read them back.
        self.note_files: Callable[[list[list[str]]], bool] | None = None
        self.noted_files: Callable[[], list[list[str]] | None] | None = None
        # Set by the control store while it holds the edition's lease: called before each attempt of
        # each request (retries too), it renews the lease when due, so that a long tick keeps a short
        # lease (GoogleControlStore).
        self.heartbeat: Callable[[], None] | None = None
        self._ledger: dict[str, str] | None = None  # key -> the id of the file claimed for it

    def for_edition(self, edition: str, edition_name: str) -> Clients:
        """The same clients, transports and counts, for another edition's files (`contest
        preflight`'s scratch files): ids reserved apart, none recorded in the edition's control store."""
        other = copy.copy(self)
        other.edition, other.edition_name = edition, edition_name
        other._ids, other._ids_recorded, other._earlier = [], False, None
        # and none claimed in the edition's ledger of created files either
        other.note_files = other.noted_files = None
        other._ledger = None
        other.record_ids = other.recorded_ids = None
        return other

    def reserve_id(self, *, last: bool = False) -> str:
        """A file id Drive reserved for us (files.generateIds, a batch at a time): a create that
        carries it cannot make a second file when it is sent again. The batch is recorded in the
        control store before its first id is used (one write per batch), so a later run finds a
        file whose create a crash or a lost answer interrupted by its id (`made_earlier`).
        `last`: for a file deleted at once (a temporary copy), the id from the batch's end:
        `made_earlier` looks ids up in order and stops at the first without a file, which must
        never come before a file that still exists."""
        if not self._ids:
            with self.stats.operation("reserve file ids"):
                got = self.run("drive", self.files.generateIds(count=ID_BATCH, space="drive", type="files"))
            self._ids = list(got.get("ids", []))
            self._ids_recorded = False
            if not self._ids:
                raise BackendError("Google drive files.generateIds returned no ids")
        if not self._ids_recorded and self.record_ids is not None:
            self.made_earlier()  # read before the record is overwritten by this batch
            self._ids_recorded = self.record_ids(list(self._ids))
        return self._ids.pop() if last else self._ids.pop(0)

    def unreserve(self, file_id: str, *, last: bool = False) -> None:
        """Give back a reserved id that was not used: the next create takes it."""
        if last:
            self._ids.append(file_id)
        else:
            self._ids.insert(0, file_id)

    def made_earlier(self) -> list[dict[str, Any]]:
        """The files an earlier run created with ids it had recorded, looked up by id (files.get,
        in the order the ids were used, up to the first that was never used): what a search that
        lags behind a create cannot show yet. Asked once per run, before this run's first create."""
        if self._earlier is None:
            ids = self.recorded_ids() if self.recorded_ids is not None else None
            if ids is None:
                return []  # the control store is not known yet: asked again later
            self._earlier = []
            for file_id in ids:
                try:
                    with self.stats.operation("find file by recorded id"):
                        f = self.run(
                            "drive",
                            self.files.get(
                                fileId=file_id,
                                fields="id,name,mimeType,parents,appProperties,trashed",
                                supportsAllDrives=True,
                            ),
                        )
                except NotFound:
                    break  # ids are used in order: the rest were never used
                if not f.get("trashed"):
                    self._earlier.append(f)
        return self._earlier

    def ledger(self) -> dict[str, str]:
        """Every Workspace file key the ledger holds -> the id of the file claimed for it (the
        latest claim), read once per process; empty while the control store is not known (its own
        create and the folders above it)."""
        if self._ledger is None:
            rows = self.noted_files() if self.noted_files is not None else None
            if rows is None:
                return {}
            self._ledger = {key: file_id for key, file_id in rows if file_id}
        return self._ledger

    def note_file(self, key: str, file_id: str) -> bool:
        """Claim `file_id` as THE file of `key` in the ledger (one write): nothing is shared from
        any other file of the key. False while the control store is not known."""
        if self.note_files is None or not self.note_files([[key, file_id]]):
            return False
        if self._ledger is not None:  # else read with this row when first asked
            self._ledger[key] = file_id
        return True

    def whoami(self) -> str | None:
        """The pipeline's own account (a service account's is known; a user's is asked of Drive once)."""
        if self.identity is None and not self._asked:
            self._asked = True
            with self.stats.operation("who am I"):
                about = self.run("drive", self.about.get(fields="user(emailAddress)"))
            self.identity = about.get("user", {}).get("emailAddress")
        return self.identity

    def run(self, api: str, request, **kw) -> Any:
        return self.transports[api].execute(request, beat=self.heartbeat, **kw)

    def list_params(self) -> dict[str, Any]:
        """Drive files.list parameters: every drive the caller can see, or just the shared drive."""
        params: dict[str, Any] = {"supportsAllDrives": True, "includeItemsFromAllDrives": True}
        if self.backend.shared_drive_id:
            params.update(corpora="drive", driveId=self.backend.shared_drive_id)
        return params
