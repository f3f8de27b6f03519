import pytest

from google_fake import FakeGoogle  # from the checkout: pyproject's pytest pythonpath


@pytest.fixture
def fake():
    f = FakeGoogle(seed=1)
    yield f


@pytest.fixture
def sheets(fake):
    return fake.build("sheets")


@pytest.fixture
def drive(fake):
    return fake.build("drive")


@pytest.fixture
def forms(fake):
    return fake.build("forms")


@pytest.fixture
def gmail(fake):
    return fake.build("gmail")


@pytest.fixture
def gc(fake):
    import gspread
    from google.oauth2.credentials import Credentials

    client = gspread.Client(auth=Credentials(token="test"))
    client.http_client.session.mount("https://", fake.requests_adapter())
    return client


@pytest.fixture
def make_docx():
    """make_docx("para 1", "para 2") -> .docx bytes"""
    import io

    import docx

    def _make(*paragraphs: str) -> bytes:
        document = docx.Document()
        for p in paragraphs:
            document.add_paragraph(p)
        buf = io.BytesIO()
        document.save(buf)
        return buf.getvalue()

    return _make
