"""Documents: plain text and notes, PDF (pypdf), DOCX (python-docx), e-mail (.eml)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from caresec.collect.phi.context import FileContext
from caresec.model.phi import PhiType
from caresec.model.problems import ProblemSeverity

_TAG = re.compile(r"<[^>]+>")


def utf16_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``head`` starts with that byte-order mark (U+FEFF
    encoded; Unicode 15.0 §23.8, as Windows "Unicode" exports write), else None."""
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be"
    return None


def as_utf8(data: bytes) -> bytes:
    """UTF-16 text with a byte-order mark (:func:`utf16_bom`) re-encoded as UTF-8 (the mark
    dropped, an undecodable unit replaced by U+FFFD); any other bytes as they are."""
    codec = utf16_bom(data)
    if codec is None:
        return data
    return data[2:].decode(codec, "replace").encode("utf-8")


def decode_text(data: bytes) -> str:
    """Text from bytes: UTF-16 with a byte-order mark, else UTF-8 (a BOM is dropped), else
    Windows-1252/Latin-1 (every byte maps to a character, so a scan never fails on
    encoding)."""
    codec = utf16_bom(data)
    if codec is not None:
        return data[2:].decode(codec, "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def scan_plain(ctx: FileContext, location: str, text: str, fmt: str = "text") -> None:
    """Plain text, clinical notes, logs: patterns everywhere, narrative rules on prose lines."""
    tally = ctx.tally(location, "file", fmt)
    tally.records = 1
    ctx.scan_text(tally, text)


def scan_pdf(ctx: FileContext, location: str, data: bytes) -> None:
    """A PDF's text layer (pypdf), page by page; a page that fails to extract is reported and
    the others are read. Scanned images without a text layer hold no text to scan."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs repairs of damaged files ("EOF marker not found") on stderr with no file name;
    # what cannot be read is reported as a problem naming the file instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = reader.pages
        count = len(pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError,
            RecursionError) as exc:
        ctx.problem(location, "", f"not a readable PDF ({type(exc).__name__}: {exc})")
        return
    tally = ctx.tally(location, "file", "pdf")
    tally.records = count
    pieces: list[tuple[str, str]] = []
    for number in range(min(count, ctx.limits.pdf_pages)):
        try:
            text = pages[number].extract_text() or ""
        except Exception as exc:  # pypdf raises many types on damaged content streams
            ctx.problem(location, f"page {number + 1}", f"text not extractable ({exc})",
                        ProblemSeverity.WARNING)
            continue
        pieces.append((f"page {number + 1}", text))
    if count > ctx.limits.pdf_pages:
        ctx.problem(location, "", f"only the first {ctx.limits.pdf_pages} of {count} pages were "
                    "read", ProblemSeverity.WARNING)
    ctx.scan_pieces(tally, pieces)


def scan_docx(ctx: FileContext, location: str, data: bytes) -> None:
    """A Word document's paragraphs, tables, headers and footers (python-docx)."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        ctx.problem(location, "", f"not a readable DOCX document ({type(exc).__name__}: {exc})")
        return
    except Exception as exc:  # zipfile.BadZipFile, lxml errors on damaged parts
        ctx.problem(location, "", f"not a readable DOCX document ({type(exc).__name__}: {exc})")
        return
    tally = ctx.tally(location, "file", "docx")
    tally.records = 1
    pieces: list[tuple[str, str]] = []
    for number, paragraph in enumerate(document.paragraphs, 1):
        if paragraph.text.strip():
            pieces.append((f"paragraph {number}", paragraph.text))
    for t, table in enumerate(document.tables, 1):
        for r, row in enumerate(table.rows, 1):
            cells = " | ".join(cell.text for cell in row.cells)
            if cells.strip(" |"):
                pieces.append((f"table {t} row {r}", cells))
    for s, section in enumerate(document.sections, 1):
        for part, container in (("header", section.header), ("footer", section.footer)):
            text = "\n".join(p.text for p in container.paragraphs)
            if text.strip():
                pieces.append((f"section {s} {part}", text))
    ctx.scan_pieces(tally, pieces)


def scan_eml(ctx: FileContext, location: str, data: bytes,
             member: Callable[[str, bytes], None]) -> None:
    """An e-mail message (RFC 5322/MIME): addresses and display names of From/To/Cc/Reply-To,
    the subject and text parts; attachments are scanned as files (``mail.eml!name``)."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    tally = ctx.tally(location, "file", "eml")
    tally.records = 1
    seeds: set[str] = set()
    for header in ("From", "To", "Cc", "Bcc", "Reply-To", "Sender"):
        for name, address in getaddresses([str(v) for v in message.get_all(header, [])]):
            if address and "@" in address:
                tally.add(PhiType.EMAIL, address, f"header {header}", "eml")
            if name.strip():
                seeds.add(name)
                tally.add(PhiType.NAME, name.strip(), f"header {header}", "eml")
    pieces: list[tuple[str, str]] = []
    subject = str(message.get("Subject", ""))
    if subject:
        pieces.append(("header Subject", subject))
    for number, part in enumerate(message.walk(), 1):
        if part.is_multipart():
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if filename:
            member(filename, payload)
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            pieces.append((f"part {number}", decode_text(payload)))
        elif ctype == "text/html":
            pieces.append((f"part {number}", _TAG.sub(" ", decode_text(payload))))
    ctx.scan_pieces(tally, pieces, seeds=seeds)
