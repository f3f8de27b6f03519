"""Document conversions: docx/plain/html -> Google Doc text, exports (PDF,
text, docx, CSV/TSV/XLSX) and a tiny PDF writer whose output carries the
document text verbatim (UTF-8, in an XMP metadata stream) for tests."""

from __future__ import annotations

import csv
import html
import io
import re

from .util import ApiError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC_EXPORTS = ("application/pdf", "text/plain", DOCX, "text/html", "text/markdown")
SHEET_EXPORTS = ("text/csv", "text/tab-separated-values", "application/pdf", XLSX)


def unsupported_conversion() -> ApiError:
    return ApiError(400, "The requested conversion is not supported.", reason="badRequest", location="convertTo")


def extract_text(media: bytes, media_type: str | None) -> str:
    """Text of an uploaded document converted to a Google Doc."""
    mt = (media_type or "").split(";")[0].strip().lower()
    if mt == DOCX or media[:2] == b"PK":
        try:
            import docx

            document = docx.Document(io.BytesIO(media))
        except Exception as exc:  # corrupt docx: Google answers 400 too
            raise ApiError(400, f"Unable to convert the uploaded file: {exc}", reason="badContent")
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append("\t".join(cell.text for cell in row.cells))
        return "\n".join(lines)
    text = media.decode("utf-8", errors="replace")
    if mt == "text/html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def text_to_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------- PDF


def _pdf_escape(line: str) -> str:
    raw = line.encode("latin-1", errors="replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(title: str, text: str) -> bytes:
    lines = text.split("\n") if text else [""]
    pages = [lines[i : i + 50] for i in range(0, len(lines), 50)] or [[""]]
    xmp = (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:fake="urn:google-fake">'
        f"<fake:title>{html.escape(title)}</fake:title>"
        f'<fake:text>{html.escape(text)}</fake:text></x:xmpmeta><?xpacket end="w"?>'
    )
    objs: list[bytes] = []
    n_pages = len(pages)
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(n_pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R /Metadata 3 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    xmp_b = xmp.encode("utf-8")
    objs.append(b"<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n" % len(xmp_b) + xmp_b + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, page in enumerate(pages):
        body = "BT /F1 11 Tf 14 TL 50 800 Td " + " ".join(f"({_pdf_escape(line)}) Tj T*" for line in page) + " ET"
        stream = body.encode("latin-1")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 4 0 R >> >> /Contents {6 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, obj in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % num + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def pdf_text(pdf: bytes) -> str:
    """The text embedded by make_pdf (for assertions in tests)."""
    m = re.search(rb"<fake:text>(.*?)</fake:text>", pdf, re.S)
    if not m:
        raise ValueError("not a PDF produced by the Google fake")
    return html.unescape(m.group(1).decode("utf-8"))


# ---------------------------------------------------------------- exports


def export_doc(title: str, text: str, original_docx: bytes | None, mime: str) -> bytes:
    if mime == "application/pdf":
        return make_pdf(title, text)
    if mime in ("text/plain", "text/markdown"):
        return ("\ufeff" + text).encode("utf-8") if mime == "text/plain" else text.encode()
    if mime == DOCX:
        return original_docx or text_to_docx(text)
    if mime == "text/html":
        paras = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
        return f"<html><head><title>{html.escape(title)}</title></head><body>{paras}</body></html>".encode()
    raise unsupported_conversion()


def _sheet_rows(ss, sheet) -> list[list[str]]:
    ss.begin_read()
    last_r = max((r for r, _ in sheet.cells), default=-1) + 1
    last_c = max((c for _, c in sheet.cells), default=-1) + 1
    rows = [[ss.render(sheet, r, c, "FORMATTED_VALUE") or "" for c in range(last_c)] for r in range(last_r)]
    return rows


def export_sheet(ss, mime: str) -> bytes:
    if mime in ("text/csv", "text/tab-separated-values"):
        text = io.StringIO()
        writer = csv.writer(text, delimiter="," if mime == "text/csv" else "\t", lineterminator="\n")
        writer.writerows(_sheet_rows(ss, ss.first_sheet()))
        return text.getvalue().encode("utf-8")
    if mime == "application/pdf":
        chunks = []
        for sheet in ss.sheets:
            chunks.append(sheet.title)
            chunks.extend("\t".join(row) for row in _sheet_rows(ss, sheet))
        return make_pdf(ss.title, "\n".join(chunks))
    if mime == XLSX:
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        ss.begin_read()
        for sheet in ss.sheets:
            ws = wb.create_sheet(sheet.title[:31])
            for r, c in sorted(sheet.cells):
                v = ss.render(sheet, r, c, "FORMULA")
                if v is not None:
                    ws.cell(row=r + 1, column=c + 1, value=v)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise unsupported_conversion()


def import_rows(media: bytes, media_type: str | None) -> list[list]:
    """Rows of an uploaded CSV/TSV/XLSX converted to a Google Sheet."""
    mt = (media_type or "").split(";")[0].strip().lower()
    if mt == XLSX or media[:2] == b"PK":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(media))
        return [["" if v is None else v for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    text = media.decode("utf-8-sig", errors="replace")
    delim = "\t" if mt == "text/tab-separated-values" else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delim)]
