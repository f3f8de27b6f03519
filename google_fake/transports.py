"""Transports through which the real client libraries reach the fake:
an httplib2.Http look-alike (googleapiclient, google_auth_httplib2.AuthorizedHttp)
and a requests adapter (gspread's AuthorizedSession)."""

from __future__ import annotations

import io

import httplib2
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .server import REASONS, FakeTimeout


def body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


class FakeHttp:
    """Implements the part of httplib2.Http that googleapiclient uses."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self.timeout = None
        self.follow_redirects = True
        self.follow_all_redirects = False
        self.redirect_codes = frozenset(getattr(httplib2, "REDIRECT_CODES", (300, 301, 302, 303, 307, 308)))
        self.connections: dict = {}
        self.force_exception_to_status_code = False
        self.ignore_etag = False

    def request(
        self,
        uri,
        method="GET",
        body=None,
        headers=None,
        redirections=httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type=None,
        **kwargs,
    ):
        try:
            status, hdrs, content = self.fake.handle(method, uri, headers, body_bytes(body), "http")
        except FakeTimeout:
            raise TimeoutError("timed out")
        resp = httplib2.Response({"status": str(status), **hdrs})
        resp.reason = REASONS.get(status, "Unknown")
        return resp, content

    def add_credentials(self, *args, **kwargs) -> None:
        pass

    def clear_credentials(self) -> None:
        pass

    def add_certificate(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


class FakeRequestsAdapter(BaseAdapter):
    """Mount on a requests.Session (e.g. gspread's client.http_client.session)."""

    def __init__(self, fake):
        super().__init__()
        self.fake = fake

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        try:
            status, hdrs, content = self.fake.handle(
                request.method, request.url, dict(request.headers), body_bytes(request.body), "requests"
            )
        except FakeTimeout:
            raise requests.exceptions.ReadTimeout(
                f"HTTPSConnectionPool: Read timed out. (read timeout={timeout})", request=request
            )
        resp = requests.Response()
        resp.status_code = status
        resp.headers = CaseInsensitiveDict(hdrs)
        resp._content = content
        resp._content_consumed = True
        resp.raw = io.BytesIO(content)
        resp.url = request.url
        resp.request = request
        resp.reason = REASONS.get(status, "Unknown")
        resp.encoding = requests.utils.get_encoding_from_headers(resp.headers)
        resp.connection = self
        return resp

    def close(self) -> None:
        pass
