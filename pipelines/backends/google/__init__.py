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

from pipelines.domain.models import Notice
from pipelines.i18n import Said
from pipelines.ports import BackendError, Workspace

from .scopes import GMAIL_SCOPES, gmail_scopes, scopes_for
from .transport import Clients, Stats, Transport

HTTP_TIMEOUT = 60  # seconds; httplib2 would otherwise wait forever


def _key_file(config) -> Path:
    given = config.backend.credentials or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not given:
        said = Said("google_key_missing")
        raise BackendError(str(said)) from said
    path = config.path(given) if config.backend.credentials else Path(given).expanduser()
    if not path.is_file():
        where = "backend.credentials" if config.backend.credentials else "GOOGLE_APPLICATION_CREDENTIALS"
        said = Said("google_key_absent", where=where, path=path)
        raise BackendError(str(said)) from said
    return path


def _service_account(config):
    from google.oauth2 import service_account

    path = _key_file(config)
    try:
        # Gmail goes through the delegated mailbox (_mailbox), which alone carries the Gmail scopes
        own = [s for s in scopes_for(config) if s not in GMAIL_SCOPES]
        return service_account.Credentials.from_service_account_file(str(path), scopes=own)
    except (ValueError, KeyError, OSError) as exc:
        said = Said("google_key_not_service_account", path=path, error=exc)
        raise BackendError(str(said)) from said


def _oauth_user(config):
    """The CDB user's cached token at backend.token_path, refreshed when expired. Never interactive:
    cron has no one to click, so a missing or revoked token is an error saying to run `contest auth`."""
    import google.auth.exceptions
    import google.auth.transport.requests
    from google.oauth2.credentials import Credentials

    token_path = config.path(config.backend.token_path)
    scopes = scopes_for(config)
    creds = None
    if token_path.exists():
        try:
            creds = Credentials.from_authorized_user_file(str(token_path), scopes)
        except (ValueError, OSError):
            creds = None
    if creds and creds.expired and creds.refresh_token:
        try:
            creds.refresh(google.auth.transport.requests.Request())
        except google.auth.exceptions.TransportError as exc:  # no network: not the token's fault
            from .transport import no_route_error

            raise no_route_error("oauth2", exc)  # noqa: B904 - its cause is the kk/ru text
        except google.auth.exceptions.RefreshError:  # revoked, or expired (an External app in "Testing")
            creds = None
    if not creds or not creds.valid or not creds.has_scopes(scopes):
        said = Said("google_token_needed", path=token_path)
        raise BackendError(str(said)) from said
    _save_token(token_path, creds)
    return creds


def _save_token(token_path: Path, creds) -> None:
    token_path.parent.mkdir(parents=True, exist_ok=True)
    token_path.touch(mode=0o600, exist_ok=True)
    os.chmod(token_path, 0o600)  # before the token is in it
    token_path.write_text(creds.to_json(), encoding="utf-8")


def authorize(config, *, open_browser: bool = True, port: int = 0, prompt: str = "{url}") -> Path:
    """`contest auth`: the OAuth consent once, as the CDB user, then the token saved at
    backend.token_path (mode 600). On a desktop a browser opens; on a server without one
    (`open_browser=False`) the address to open is printed and Google's answer comes back to
    http://localhost:`port`, which an SSH tunnel (ssh -L port:localhost:port server) carries from
    the desktop's browser to the server (docs/google-setup.md)."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    if config.backend.auth != "oauth":
        raise BackendError(str(Said("auth_not_oauth"))) from Said("auth_not_oauth")
    client_file = _key_file(config)
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_file), scopes_for(config))
    except ValueError as exc:
        said = Said("google_key_not_oauth_client", path=client_file, error=exc)
        raise BackendError(str(said)) from said
    creds = flow.run_local_server(
        port=port,
        open_browser=open_browser,
        authorization_prompt_message=prompt,  # "{url}" is replaced by the consent page's address
        success_message="contest: OK",
    )
    token_path = config.path(config.backend.token_path)
    _save_token(token_path, creds)
    return token_path


def _mailbox(creds, backend):
    """A service account sends as backend.sender through domain-wide delegation, asking for the Gmail
    scopes alone (those the Admin console delegates to it); a user sends as themselves."""
    if backend.sender and hasattr(creds, "with_subject") and getattr(creds, "service_account_email", None):
        return creds.with_subject(backend.sender).with_scopes(gmail_scopes(backend))
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
    recorder=None,
) -> Workspace:
    """The Google workspace for `config`. Every parameter has a working default for real Google and
    exists so that another transport (a test server, a proxy) can be put in its place:
    `credentials`: ready google-auth credentials (default: from backend.auth and the key file);
    `http_factory()`: a new httplib2-compatible `http` for googleapiclient (wrapped in AuthorizedHttp);
    `requests_adapter`: a requests transport adapter mounted on gspread's session for https://;
    `sleep`/`clock`/`seed`: the backoff's sleep, the limiter's clock and the jitter's seed;
    `recorder`: a cassette.Recorder that keeps every request and answer (`contest preflight --record`)."""
    import google_auth_httplib2
    import gspread
    import httplib2
    from googleapiclient.discovery import build

    backend = config.backend
    if getattr(backend, "kind", None) != "google":
        raise BackendError("backend.kind: open_google needs backend.kind: google")
    creds = credentials or (_oauth_user(config) if backend.auth == "oauth" else _service_account(config))
    new_http = http_factory or (lambda: httplib2.Http(timeout=HTTP_TIMEOUT))
    if recorder is not None:
        new_http, requests_adapter = recorder.wrap(new_http, requests_adapter)

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
        gmail=service("gmail", "v1", _mailbox(creds, backend)) if backend.gmail else None,
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
        place=Notice(
            "workspace_google_shared_drive"
            if backend.shared_drive_id
            else "workspace_google_folder"
            if backend.root_folder_id
            else "workspace_google_my_drive",
            id=backend.shared_drive_id or backend.root_folder_id or "",
        ),
    )
    workspace.stats.update(requests=stats.methods, operations=stats.operations, report=stats.report, transport=stats)
    return workspace


__all__ = ["open_google", "authorize", "scopes_for"]
