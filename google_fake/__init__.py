"""In-process fake of Google Sheets v4, Drive v3, Forms v1 and Gmail v1.

    fake = FakeGoogle()                      # or FakeGoogle(service_account_without_storage=True)
    sheets = build("sheets", "v4", http=fake.http(), static_discovery=True)   # or fake.build("sheets")
    gc = gspread.Client(auth=Credentials(token="t"))
    gc.http_client.session.mount("https://", fake.requests_adapter())          # or fake.gspread_client()

Every request is routed and validated (query parameters, JSON bodies) against
googleapiclient's bundled discovery documents, recorded in `fake.requests` and
counted by `fake.counts()`. Invalid requests answer 400 in Google's error shape.

The product's Google backend over the fake: open_google(config, **connect(fake, scopes_for(config))), or
google_fake.demo.fake_workspace(config, fake) (it also says "fake Google" in the description).
Not part of the product's wheel: a development and test package only.

Reference (see fake.py / server.py / drive_model.py / forms.py for details):
  clock      fake.clock, advance(s), sleep(s), time(), monotonic(), now(), now_rfc3339()
  counting   requests, counts(include_errors=True), total_requests(), reset_counts(),
             invalid_requests(), assert_all_valid()
  quotas     enforce_quotas(sheets_reads_per_minute=60, sheets_writes_per_minute=60,
             drive_per_minute=None, forms_per_minute=None, gmail_per_minute=None), disable_quotas()
  faults     fail_next(n, status, reason=None, method=None, message=None),
             timeout_next(n, method=None, after_apply=False), clear_faults(),
             refuse_when(when(body, query), status, reason, method=None, n=None)
  access     token_for(email, scopes=None): a person's token (every scope) or, with scopes, an app's
             (only what they allow; drive.file sees only the app's own files); open_with_app(id);
             every request checked first by access.py (scopes, sharing, writersCanShare)
  state      files, drives, spreadsheets, forms, sent_mail, sent_notifications,
             non_google_accounts, identity, root_id, gmail_precondition_failure
  seeding    create_shared_drive(name, members), create_folder(name, parent), add_file(...),
             add_form(title, questions), add_response(...), edit_response(...)
  inspection file_meta(id), file_content(id), sheet_values(id, range, render),
             spreadsheet_model(id); pdf_text(pdf_bytes) for exported PDFs
"""

from .connect import connect
from .docs import make_pdf, pdf_text
from .fake import DEFAULT_IDENTITY, FakeGoogle
from .server import RecordedRequest
from .util import ApiError

__all__ = ["connect", "FakeGoogle", "DEFAULT_IDENTITY", "RecordedRequest", "ApiError", "pdf_text", "make_pdf"]
