"""In-process fake of Google Sheets v4, Drive v3, Forms v1 and Gmail v1.

    fake = FakeGoogle()
    sheets = build("sheets", "v4", http=fake.http(), static_discovery=True)
    gc = gspread.Client(auth=Credentials(token="t"))
    gc.http_client.session.mount("https://", fake.requests_adapter())

Every request is routed and validated against googleapiclient's bundled
discovery documents, recorded in `fake.requests` and counted by `fake.counts()`.
"""
from .docs import make_pdf, pdf_text
from .fake import DEFAULT_IDENTITY, FakeGoogle
from .server import RecordedRequest
from .util import ApiError

__all__ = ["FakeGoogle", "DEFAULT_IDENTITY", "RecordedRequest", "ApiError", "pdf_text",
           "make_pdf"]
