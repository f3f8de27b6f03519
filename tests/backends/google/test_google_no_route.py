"""Credential and network failures. No route to Google: the real client libraries (google-auth, httplib2, googleapiclient) against a
port on this machine that refuses connections. No network is used: the only address reached is
127.0.0.1. The failure is said in the edition's language and comes at once, not after minutes of
backoff (the bound below is a sanity bound, not a timing test)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httplib2
import pytest
import yaml
from click.testing import CliRunner

from google_fake.demo import google_config
from pipelines.backends.google import open_google
from pipelines.cli import cli
from pipelines.i18n import error_text
from pipelines.ports import Unavailable

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "atu-2027" / "contest.yaml"
SANITY = 10.0  # seconds; before, the same failure took minutes


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now: a connection is refused
    return port


def _key(path: Path, token_uri: str = "https://oauth2.googleapis.com/token") -> Path:
    """A well-formed service-account key (a fresh RSA key, no real account behind it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    info = {
        "type": "service_account",
        "project_id": "atu-contest",
        "private_key_id": "0" * 40,
        "private_key": pem,
        "client_email": "cdb-bot@atu-contest.iam.gserviceaccount.com",
        "client_id": "100000000000000000000",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


class ClosedPortHttp(httplib2.Http):
    """httplib2 as the product builds it, every address sent to 127.0.0.1 on a closed port."""

    def __init__(self, port: int):
        super().__init__(timeout=5)
        self.port = port

    def request(self, uri, *args, **kwargs):
        parts = urlsplit(uri)
        return super().request(
            urlunsplit(("http", f"127.0.0.1:{self.port}", parts.path, parts.query, "")), *args, **kwargs
        )


@pytest.fixture(scope="module")
def base_config():
    from pipelines.config import load_config

    return load_config(EXAMPLE)


def test_a_refused_connection_through_the_transport_factory_ends_at_once(base_config, tmp_path):
    port = _closed_port()
    config = google_config(
        base_config, shared_drive_id="0AbCdEfGhIjKlUk9PVA", credentials=str(_key(tmp_path / "k.json"))
    )
    ws = open_google(config, http_factory=lambda: ClosedPortHttp(port))  # max_retries 5: minutes of backoff before
    started = time.monotonic()
    with pytest.raises(Unavailable) as error:
        ws.drive.documents()
    assert time.monotonic() - started < SANITY
    kk = error_text(error.value, "kk")
    assert kk.startswith("Google-ға (drive) жол жоқ (ConnectionRefusedError") and "appsstatus" in kk
    assert error_text(error.value, "ru").startswith("Нет связи с Google (drive; ConnectionRefusedError")


def test_check_config_access_without_a_route_says_so_in_kazakh_without_a_traceback(base_config, tmp_path):
    """The whole command, on the default httplib2 transport: the key's token address refuses."""
    key = _key(tmp_path / "credentials.json", token_uri=f"http://127.0.0.1:{_closed_port()}/token")
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["backend"] = {"kind": "google", "credentials": str(key), "shared_drive_id": "0AbCdEfGhIjKlUk9PVA"}
    data["form"] = {"kind": "forms_api", "form_id": "1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789_-AbCd"}
    (tmp_path / "contest.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "contest.yaml"), "check-config", "--access"])
    assert time.monotonic() - started < SANITY
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "жол жоқ" in result.output and "Нет связи" not in result.output
    assert "gave up" not in result.output and "no answer" not in result.output


def test_a_refused_key_is_said_in_the_editions_language_without_a_retry(base_config, tmp_path):
    """Google's token address answers 400 invalid_grant (a deleted or revoked key): a stand-in on
    127.0.0.1 answers as Google does; the real google-auth and httplib2 send the request."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    asked = []

    class TokenEndpoint(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("content-length", 0)))
            asked.append(1)
            body = json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}).encode()
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    google = HTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=google.serve_forever, daemon=True).start()
    key = _key(tmp_path / "k.json", token_uri=f"http://127.0.0.1:{google.server_address[1]}/token")
    config = google_config(base_config, shared_drive_id="0AbCdEfGhIjKlUk9PVA", credentials=str(key))
    from pipelines.ports import PermissionDenied

    with pytest.raises(PermissionDenied) as error:
        open_google(config).drive.documents()
    google.shutdown()
    kk, ru = error_text(error.value, "kk"), error_text(error.value, "ru")
    assert kk.startswith("Google тіркелгі деректерін қабылдамады") and "invalid_grant" in kk
    assert ru.startswith("Google отклонил учётные данные") and "backend.credentials" in ru
    assert len(asked) <= 3  # google-auth's own retries at most; the transport adds none
