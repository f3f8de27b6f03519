"""backend.auth: oauth on a server: a job never opens a browser or waits for a person. Without a
usable token it says, in the edition's language, to run `contest auth`; a token that cannot be
refreshed for want of a network says that instead, at once."""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from google_fake.demo import google_config
from pipelines.backends.google import open_google, scopes_for
from pipelines.cli import cli
from pipelines.i18n import error_text
from pipelines.ports import BackendError, Unavailable

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "atu-2027" / "contest.yaml"


def _scopes() -> list[str]:
    """What these tests' configs ask for (the product's own scopes, not a wildcard)."""
    from pipelines.config import load_config

    return scopes_for(google_config(load_config(EXAMPLE), shared_drive_id="0Adrive", auth="oauth"))


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _token(path: Path, *, expired: bool, token_uri: str) -> Path:
    expiry = datetime.utcnow() + (timedelta(hours=-1) if expired else timedelta(hours=1))
    path.write_text(
        json.dumps(
            {
                "token": "test-access-token",
                "refresh_token": "test-refresh-token",
                "client_id": "c.apps.googleusercontent.com",
                "client_secret": "s",
                "scopes": _scopes(),
                "token_uri": token_uri,
                "expiry": expiry.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def base_config():
    from pipelines.config import load_config

    return load_config(EXAMPLE)


def test_without_a_token_a_job_says_to_run_contest_auth_instead_of_opening_a_browser(base_config, tmp_path):
    config = google_config(
        base_config, shared_drive_id="0Adrive", auth="oauth", token_path=str(tmp_path / "token.json")
    )
    with pytest.raises(BackendError) as error:
        open_google(config)
    assert "contest auth" in error_text(error.value, "kk") and "токен" in error_text(error.value, "kk")
    assert "contest auth" in error_text(error.value, "ru") and "браузера" in error_text(error.value, "ru")
    assert not (tmp_path / "token.json").exists()


def test_an_expired_token_without_a_route_to_google_ends_at_once(base_config, tmp_path):
    token = _token(tmp_path / "token.json", expired=True, token_uri=f"http://127.0.0.1:{_closed_port()}/token")
    config = google_config(base_config, shared_drive_id="0Adrive", auth="oauth", token_path=str(token))
    started = time.monotonic()
    with pytest.raises(Unavailable) as error:
        open_google(config)
    assert time.monotonic() - started < 10.0  # a sanity bound, not a timing test
    assert error_text(error.value, "kk").startswith("Google-ға (oauth2) жол жоқ")


def test_a_valid_token_is_kept_readable_by_its_owner_only(base_config, tmp_path):
    token = _token(tmp_path / "token.json", expired=False, token_uri="https://oauth2.googleapis.com/token")
    token.chmod(0o644)
    config = google_config(base_config, shared_drive_id="0Adrive", auth="oauth", token_path=str(token))
    open_google(config)  # nothing is requested until a job runs
    assert oct(token.stat().st_mode & 0o777) == "0o600"


def test_contest_auth_is_for_oauth_only(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["backend"] = {"kind": "google", "credentials": "credentials.json", "shared_drive_id": "0Adrive"}
    (tmp_path / "contest.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "contest.yaml"), "auth", "--no-browser"])
    assert result.exit_code == 1 and "contest auth" in result.output and "Traceback" not in result.output


def test_contest_auth_signs_in_once_and_keeps_the_token_for_its_owner_only(tmp_path, monkeypatch):
    """The whole consent with the real google-auth-oauthlib flow: Google's token address is a
    server on 127.0.0.1 here, and the "browser" follows the consent address back to the local
    redirect the way Google's consent page does (no network is used)."""
    import threading
    import urllib.request
    import webbrowser
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs, urlsplit

    class TokenEndpoint(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("content-length", 0)))
            body = json.dumps(
                {
                    "access_token": "a",
                    "refresh_token": "r",
                    "expires_in": 3600,
                    "token_type": "Bearer",
                    "scope": " ".join(_scopes()),
                }
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    google = HTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=google.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{google.server_address[1]}"
    client = tmp_path / "oauth-client.json"
    client.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "c.apps.googleusercontent.com",
                    "client_secret": "s",
                    "auth_uri": base + "/auth",
                    "token_uri": base + "/token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )

    class Browser:
        def open(self, url, new=0, autoraise=True):
            query = parse_qs(urlsplit(url).query)
            back = f"{query['redirect_uri'][0]}?state={query['state'][0]}&code=consented&scope=" + "+".join(_scopes())
            threading.Thread(target=lambda: urllib.request.urlopen(back).read(), daemon=True).start()
            return True

    monkeypatch.setattr(webbrowser, "get", lambda using=None: Browser())
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the stand-in for Google speaks http
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["backend"] = {
        "kind": "google",
        "auth": "oauth",
        "credentials": str(client),
        "token_path": str(tmp_path / "token.json"),
        "shared_drive_id": "0Adrive",
    }
    (tmp_path / "contest.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "contest.yaml"), "auth", "--port", str(_closed_port())]
    )
    google.shutdown()
    assert result.exit_code == 0, result.output
    token = tmp_path / "token.json"
    assert json.loads(token.read_text())["refresh_token"] == "r"
    assert oct(token.stat().st_mode & 0o777) == "0o600"
    assert str(token) in result.output
