"""FakeGoogle: the object tests and `contest demo --backend google-fake` use."""

from __future__ import annotations

import datetime as _dt

# importing the handler modules registers their handlers
from . import drive, drive_perms, forms, gmail, sheets, sheets_batch, sheets_batch_misc, sheets_values  # noqa: F401
from .drive_model import DriveMixin
from .forms import FormsMixin
from .server import ServerCore
from .sheets import get_ss, value_range
from .transports import FakeHttp, FakeRequestsAdapter

DEFAULT_IDENTITY = "cdb-bot@atu-contest.iam.gserviceaccount.com"


class FakeGoogle(ServerCore, DriveMixin, FormsMixin):
    """In-process, stateful fake of the Sheets v4 / Drive v3 / Forms v1 /
    Gmail v1 REST endpoints, validated against the discovery documents.

    Args:
        identity: the caller (owner of created files, editor of protected ranges).
        service_account_without_storage: creating a non-folder file outside a
            shared drive (incl. spreadsheets.create) fails 403 storageQuotaExceeded.
        seed: seeds the id generator (deterministic ids).
        start_time: wall time at clock == 0 (default 2026-01-15T09:00:00Z).
        latency: simulated seconds added to the clock per request.
        search_lag: files.list does not show a file until this many simulated seconds after
            its create (Drive's search index lags behind writes; files.get sees it at once).
    """

    def __init__(
        self,
        identity: str = DEFAULT_IDENTITY,
        *,
        service_account_without_storage: bool = False,
        seed: int = 0,
        start_time: _dt.datetime | None = None,
        latency: float = 0.0,
        search_lag: float = 0.0,
    ):
        ServerCore.__init__(self, seed=seed, start_time=start_time, latency=latency)
        self.search_lag = float(search_lag)
        self._init_drive(identity, service_account_without_storage)
        self._init_forms()
        self.spreadsheets = {}
        self.sent_mail: list[dict] = []
        self.gmail_precondition_failure = False

    # ------------------------------------------------------------ transports
    def http(self) -> FakeHttp:
        """For googleapiclient.discovery.build(..., http=fake.http(), static_discovery=True)
        (may be wrapped in google_auth_httplib2.AuthorizedHttp)."""
        return FakeHttp(self)

    def requests_adapter(self) -> FakeRequestsAdapter:
        """Mount on a requests session: session.mount("https://", fake.requests_adapter())."""
        return FakeRequestsAdapter(self)

    def build(self, api: str, version: str | None = None):
        """Shortcut: a real googleapiclient service wired to this fake."""
        from googleapiclient.discovery import build

        version = version or {"sheets": "v4", "drive": "v3", "forms": "v1", "gmail": "v1"}[api]
        return build(api, version, http=self.http(), static_discovery=True, cache_discovery=False)

    def gspread_client(self):
        """Shortcut: a real gspread.Client whose session is mounted on this fake."""
        import gspread
        from google.oauth2.credentials import Credentials

        gc = gspread.Client(auth=Credentials(token="fake-token"))
        gc.http_client.session.mount("https://", self.requests_adapter())
        return gc

    # ------------------------------------------------------------ inspection
    def sheet_values(self, spreadsheet_id: str, range_: str, render: str = "UNFORMATTED_VALUE") -> list[list]:
        """Values of a range, as values.get would return them (no request recorded)."""
        ss = get_ss(self, spreadsheet_id)
        ss.begin_read()
        sheet, rng = ss.resolve(range_)
        return value_range(ss, sheet, rng.bounded(sheet.rows, sheet.cols), render, "ROWS").get("values", [])

    def spreadsheet_model(self, spreadsheet_id: str):
        """The live sheets_model.Spreadsheet (cells, protected ranges, ...)."""
        return get_ss(self, spreadsheet_id)
