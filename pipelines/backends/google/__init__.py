"""The Google Workspace backend: Sheets (control tables, rating sheets), Drive (folders, documents,
sharing), Forms (responses), Gmail (reminders). Clients are built once, in `open_google`.

Every request goes through a Transport (transport.py): rate limit, bounded retries, counting.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipelines.ports import BackendError, Workspace

from .transport import Clients, Stats, Transport

SCOPES_BASE = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive"]
SCOPES_FORMS = [
    "https://www.googleapis.com/auth/forms.responses.readonly",
    "https://www.googleapis.com/auth/forms.body.readonly",
]
SCOPE_GMAIL = "https://www.googleapis.com/auth/gmail.send"
# messages.list with q="rfc822msgid:…" tells whether a mail went (exactly once); gmail.metadata
# does not allow `q`, so the lookup needs gmail.readonly
SCOPE_GMAIL_READ = "https://www.googleapis.com/auth/gmail.readonly"
SCOPES = SCOPES_BASE + SCOPES_FORMS + [SCOPE_GMAIL, SCOPE_GMAIL_READ]
HTTP_TIMEOUT = 60  # seconds; httplib2 would otherwise wait forever


def _key_file(config) -> Path:
    given = config.backend.credentials or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not given:
        raise BackendError(
            "backend.credentials: no Google key file given; set backend.credentials in "
            "contest.yaml or the GOOGLE_APPLICATION_CREDENTIALS environment variable"
        )
    path = config.path(given) if config.backend.credentials else Path(given).expanduser()
    if not path.is_file():
        where = "backend.credentials" if config.backend.credentials else "GOOGLE_APPLICATION_CREDENTIALS"
        raise BackendError(
            f"{where}: the key file {path} does not exist (set backend.credentials in "
            "contest.yaml or the GOOGLE_APPLICATION_CREDENTIALS environment variable)"
        )
    return path


def _service_account(config):
    from google.oauth2 import service_account

    path = _key_file(config)
    try:
        return service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
    except (ValueError, KeyError, OSError) as exc:
        raise BackendError(
            f"backend.credentials: {path} is not a service-account key ({exc}); "
            "download a JSON key of the service account, or set backend.auth: oauth"
        ) from None


def _oauth_user(config):
    """The installed-app flow once (a browser opens), then the cached token at backend.token_path."""
    import google.auth.transport.requests
    from google.oauth2.credentials import Credentials

    token_path = config.path(config.backend.token_path)
    creds = None
    if token_path.exists():
        try:
            creds = Credentials.from_authorized_user_file(str(token_path), SCOPES)
        except (ValueError, OSError):
            creds = None
    if creds and creds.expired and creds.refresh_token:
        try:
            creds.refresh(google.auth.transport.requests.Request())
        except Exception:  # noqa: BLE001 - a revoked token: ask again below
            creds = None
    if not creds or not creds.valid or not creds.has_scopes(SCOPES):
        from google_auth_oauthlib.flow import InstalledAppFlow

        client_file = _key_file(config)
        try:
            flow = InstalledAppFlow.from_client_secrets_file(str(client_file), SCOPES)
        except ValueError as exc:
            raise BackendError(
                f"backend.credentials: {client_file} is not an OAuth client file ({exc}); "
                "create a Desktop OAuth client in the Cloud console and download it"
            ) from None
        creds = flow.run_local_server(port=0)
    token_path.parent.mkdir(parents=True, exist_ok=True)
    token_path.write_text(creds.to_json(), encoding="utf-8")
    os.chmod(token_path, 0o600)
    return creds


def _mailbox(creds, sender: str | None):
    """A service account sends as `sender` through domain-wide delegation; a user sends as themselves."""
    if sender and hasattr(creds, "with_subject") and getattr(creds, "service_account_email", None):
        return creds.with_subject(sender)
    return None


def open_google(
    config,
    *,
    credentials=None,
    http_factory: Callable[[], Any] | None = None,
    requests_adapter=None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] | None = None,
    seed: int | None = None,
) -> Workspace:
    """The Google workspace for `config`. Every parameter has a working default for real Google and
    exists so that another transport (a test server, a proxy) can be put in its place:
    `credentials`: ready google-auth credentials (default: from backend.auth and the key file);
    `http_factory()`: a new httplib2-compatible `http` for googleapiclient (wrapped in AuthorizedHttp);
    `requests_adapter`: a requests transport adapter mounted on gspread's session for https://;
    `sleep`/`clock`/`seed`: the backoff's sleep, the limiter's clock and the jitter's seed."""
    import google_auth_httplib2
    import gspread
    import httplib2
    from googleapiclient.discovery import build

    backend = config.backend
    if getattr(backend, "kind", None) != "google":
        raise BackendError("backend.kind: open_google needs backend.kind: google")
    creds = credentials or (_oauth_user(config) if backend.auth == "oauth" else _service_account(config))
    new_http = http_factory or (lambda: httplib2.Http(timeout=HTTP_TIMEOUT))

    def http(as_user=None):
        return google_auth_httplib2.AuthorizedHttp(as_user or creds, http=new_http())

    def service(name: str, version: str, credentials=None):
        return build(name, version, http=http(credentials), static_discovery=True, cache_discovery=False)

    stats = Stats()
    rng = random.Random(seed)
    clock = clock or time.monotonic

    def transport(api: str, per_minute: int, writes: int | None = None) -> Transport:
        return Transport(
            api,
            stats,
            per_minute=per_minute,
            write_per_minute=writes,
            max_retries=backend.max_retries,
            clock=clock,
            sleep=sleep,
            rng=rng,
        )

    gc = None
    if config.form.kind == "sheet":
        gc = gspread.Client(auth=creds)
        gc.http_client.set_timeout(HTTP_TIMEOUT)
        if requests_adapter is not None:
            gc.http_client.session.mount("https://", requests_adapter)
    clients = Clients(
        sheets=service("sheets", "v4"),
        drive=service("drive", "v3"),
        forms=service("forms", "v1") if config.form.kind == "forms_api" else None,
        gmail=service("gmail", "v1", _mailbox(creds, backend.sender)) if backend.gmail else None,
        gspread=gc,
        transports={
            "sheets": transport("sheets", backend.sheets_per_minute, backend.sheets_per_minute),
            "drive": transport("drive", backend.drive_per_minute),
            "forms": transport("forms", backend.sheets_per_minute),
            "gmail": transport("gmail", backend.drive_per_minute),
        },
        stats=stats,
        backend=backend,
        edition=config.edition_key,
        edition_name=config.edition.name,
        identity=getattr(creds, "service_account_email", None),
    )

    from .drive import Folders, GoogleDrive, GoogleFormSource, GoogleMailer
    from .sheets import GoogleControlStore, GoogleRatingSheets

    folders = Folders(clients)
    where = (
        f"shared drive {backend.shared_drive_id}"
        if backend.shared_drive_id
        else f"folder {backend.root_folder_id}"
        if backend.root_folder_id
        else "My Drive"
    )
    control = GoogleControlStore(clients, folders)
    clients.record_ids, clients.recorded_ids = control.record_reserved_ids, control.reserved_ids
    clients.note_files, clients.noted_files = control.note_created_files, control.created_files
    workspace = Workspace(
        forms=GoogleFormSource(clients, config.form, config.path(config.form.path) if config.form.path else None),
        control=control,
        sheets=GoogleRatingSheets(clients, folders),
        drive=GoogleDrive(clients, folders),
        mailer=GoogleMailer(clients),
        description=f"Google Workspace ({where})",
    )
    workspace.stats.update(requests=stats.methods, operations=stats.operations, report=stats.report, transport=stats)
    return workspace


__all__ = ["open_google", "SCOPES"]
