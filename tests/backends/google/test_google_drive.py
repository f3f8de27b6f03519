"""Documents on Drive: found again by key, replaced only when changed, PDFs by export, folders reused."""

from __future__ import annotations

import io

import docx
import pytest

from google_fake import pdf_text
from google_fake.demo import fake_workspace
from pipelines.ports import DocKey, PermissionDenied


def make_docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


KEY = DocKey("2027-test", "form01", 0, "FIT-IS", "DER-ABC123")


def _ours(fake, kind=None):
    return [
        f
        for f in fake.files.values()
        if f.app_properties.get("contest") == "document" and (kind is None or f.app_properties.get("kind") == kind)
    ]


def test_put_twice_stores_one_file_and_a_change_replaces_it(ws, fake, config, drive_id, requests_made):
    first = ws.drive.put(KEY, ["intake", "FIT-IS"], "form01_DER-ABC123.docx", make_docx("Өтінім", "v1"))
    assert first.changed
    (stored,) = _ours(fake)
    assert stored.drive_id == drive_id and stored.name == "form01_DER-ABC123.docx"
    assert stored.app_properties["digest"] and stored.app_properties["subject"] == "DER-ABC123"
    folder = fake.files[stored.parents[0]]
    assert folder.name == "FIT-IS" and fake.files[folder.parents[0]].name == "intake"
    assert fake.files[fake.files[folder.parents[0]].parents[0]].name == config.edition.name
    fake.reset_counts()
    again = fake_workspace(config, fake)  # a later run, in another process
    same = again.drive.put(KEY, ["intake", "FIT-IS"], "form01_DER-ABC123.docx", make_docx("Өтінім", "v1"))
    assert not same.changed and same.path_or_url == first.path_or_url
    assert "drive.files.create" not in requests_made() and "drive.files.update" not in requests_made()
    fake.reset_counts()
    changed = again.drive.put(KEY, ["intake", "FIT-IS"], "form01_DER-ABC123.docx", make_docx("Өтінім", "v2"))
    assert changed.changed and changed.path_or_url == first.path_or_url
    assert requests_made() == {"drive.files.update": 1}
    (stored,) = _ours(fake)
    assert b"v2" in docx_text(stored.content)
    assert [d.key for d in again.drive.documents()] == [KEY]


def docx_text(data: bytes) -> bytes:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs).encode()


def test_the_same_source_is_not_even_rendered(ws, fake, requests_made):
    calls = []

    def render():
        calls.append(1)
        return make_docx("rendered")

    ws.drive.put(KEY, ["intake"], "a.docx", render, source="src-1")
    ws.drive.put(KEY, ["intake"], "a.docx", render, source="src-1")
    assert len(calls) == 1
    ws.drive.put(KEY, ["intake"], "a.docx", render, source="src-2")  # rendered: same bytes, new source
    assert len(calls) == 2
    (stored,) = _ours(fake)
    assert stored.app_properties["source"] == "src-2"
    ws.drive.put(KEY, ["intake"], "a.docx", make_docx("other"))  # no source: the old one is dropped
    assert "source" not in _ours(fake)[0].app_properties


def test_put_pdf_converts_exports_and_cleans_up(ws, fake, requests_made):
    key = DocKey("2027-test", "results_pdf", 3, "contest", "-")
    source = make_docx("Конкурс нәтижелері", "1 орын: DER-ABC123")
    fake.reset_counts()
    doc = ws.drive.put_pdf(key, ["results"], "results.pdf", source)
    assert doc.changed
    made = requests_made()
    assert made["drive.files.export"] == 1 and made["drive.files.delete"] == 1
    (pdf,) = _ours(fake, "results_pdf")
    assert pdf.mime_type == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "1 орын: DER-ABC123" in pdf_text(pdf.content)
    assert not [f for f in fake.files.values() if f.mime_type == "application/vnd.google-apps.document"]
    fake.reset_counts()
    assert not ws.drive.put_pdf(key, ["results"], "results.pdf", source).changed
    assert requests_made() == {}


def test_every_drive_call_supports_all_drives(ws, fake):
    ws.drive.put(KEY, ["intake"], "a.docx", make_docx("x"))
    ws.drive.put_pdf(DocKey("2027-test", "results_pdf", 3, "contest", "-"), ["results"], "r.pdf", make_docx("y"))
    drive_calls = [r for r in fake.requests if r.api == "drive"]
    assert drive_calls
    for r in drive_calls:
        if r.method not in ("files.export", "files.generateIds"):  # they have no such parameter
            assert r.query.get("supportsAllDrives") == ["true"], r.url
        if r.method == "files.list":
            assert r.query.get("includeItemsFromAllDrives") == ["true"]
            assert r.query.get("corpora") == ["drive"] and r.query.get("driveId")


def test_folders_are_looked_up_once_per_run(ws, fake, requests_made):
    fake.reset_counts()
    for n in range(5):
        ws.drive.put(
            DocKey("2027-test", "form01", 0, "FIT-IS", f"DER-{n}"), ["intake", "FIT-IS"], f"{n}.docx", make_docx(str(n))
        )
    made = requests_made()
    assert made["drive.files.create"] == 5 + 3  # five documents, three folders (edition, intake, FIT-IS)
    # the documents' index, and the drive's folders listed once: none looked for inside the new ones
    assert made["drive.files.list"] == 1 + 1


def test_folders_made_by_an_earlier_run_are_found_not_made_again(ws, fake, config, requests_made):
    key = DocKey("2027-test", "form01", 0, "FIT-IS", "DER-1")
    ws.drive.put(key, ["intake", "FIT-IS"], "1.docx", make_docx("1"))
    later = fake_workspace(config, fake)  # the next run: nothing remembered
    fake.reset_counts()
    later.drive.put(DocKey("2027-test", "form01", 0, "FIT-IS", "DER-2"), ["intake", "FIT-IS"], "2.docx", make_docx("2"))
    made = requests_made()
    assert made["drive.files.create"] == 1  # the document alone
    assert made["drive.files.list"] == 1 + 3  # the index; the folders in the root, the edition's, intake's
    folders = [f for f in fake.files.values() if f.mime_type == "application/vnd.google-apps.folder"]
    assert sorted(f.name for f in folders if not f.trashed and not f.is_root).count("FIT-IS") == 1


@pytest.mark.parametrize("gmail", [False, True])
def test_mail_goes_through_gmail_only_when_configured(fake, config, gmail):
    cfg = config.model_copy(
        update={"backend": config.backend.model_copy(update={"gmail": gmail, "sender": "cdb@atu.edu.kz"})}
    )
    ws = fake_workspace(cfg, fake)
    assert ws.mailer.notify("expert@atu.edu.kz", "Еске салу", "Мерзімі: 05.03.2027") is gmail
    assert len(fake.sent_mail) == int(gmail)
    if gmail:
        (mail,) = fake.sent_mail
        assert mail["to"] == ["expert@atu.edu.kz"] and mail["from"] == "cdb@atu.edu.kz"
        assert "05.03.2027" in mail["text"]


def test_gmail_refusal_explains_delegation(fake, config):
    ws = fake_workspace(config.model_copy(update={"backend": config.backend.model_copy(update={"gmail": True})}), fake)
    fake.gmail_precondition_failure = True
    with pytest.raises(PermissionDenied, match="domain-wide delegation") as error:
        ws.mailer.notify("expert@atu.edu.kz", "Еске салу", "…")
    assert (error.value.status, error.value.reason) == (400, "failedPrecondition")  # Gmail's answer, kept


def test_the_converted_copy_is_made_without_an_id_and_a_lost_answer_leaves_no_second_copy(ws, fake):
    """The PDF's temporary Google Doc is an upload converted to a Workspace format: Drive refuses a
    reserved id for it. A create whose answer was lost is looked for by its key, patiently while
    Drive's search lags behind the create, and is not sent again."""
    fake.search_lag = 20.0
    key = DocKey("2027-test", "results_pdf", 3, "contest", "-")
    ws.drive.folders.path(["results"])  # the folder first: the lost answer is the copy's create
    fake.timeout_next(1, method="files.create", after_apply=True)  # the copy is made, its answer lost
    start = len(fake.requests)
    doc = ws.drive.put_pdf(key, ["results"], "results.pdf", make_docx("Нәтижелер", "1 орын: DER-XYZ789"))
    assert doc.changed
    made = fake.requests[start:]
    (create,) = [r for r in made if r.method == "files.create" and "document" in str(r.body.get("mimeType"))]
    assert "id" not in create.body  # Drive would answer 400 generatedIdNotSupported
    searches = [r for r in made if r.method == "files.list" and "temporary" in str(r.query.get("q"))]
    assert len(searches) >= 2  # the first search came too early for Drive's index
    assert len([r for r in made if r.method == "files.delete"]) == 1
    assert not [f for f in fake.files.values() if f.mime_type == "application/vnd.google-apps.document"]
    (pdf,) = _ours(fake, "results_pdf")
    assert "1 орын: DER-XYZ789" in pdf_text(pdf.content)
    assert fake.invalid_requests() == []


def test_a_temporary_file_takes_its_id_from_the_batch_end(ws):
    """Recorded ids are looked up in order, up to the first without a file (Clients.made_earlier).
    A copy deleted once used takes its id from the batch's end, so it never hides the files made
    after it with the next ids."""
    from pipelines.backends.google.transport import ID_BATCH

    clients = ws.drive.c
    first = clients.reserve_id()
    temporary = clients.reserve_id(last=True)
    second = clients.reserve_id()
    left = list(clients._ids)
    assert len(left) == ID_BATCH - 3
    batch = [first, second, *left, temporary]  # the batch as generateIds gave it, in order
    assert len(set(batch)) == ID_BATCH
    clients.unreserve(temporary, last=True)
    assert clients.reserve_id(last=True) == temporary and clients.reserve_id() == left[0]
