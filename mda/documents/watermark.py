"""A watermark on every downloaded copy: who downloaded it, for which organisation, and when.

PDF: pikepdf (the Python binding of qpdf, MPL-2.0, frequent releases; its wheels carry qpdf, so nothing to install
in the image) lays a stamp over each page and writes the whole file anew; reportlab (the long-standing PDF toolkit,
BSD) draws the stamp, once per page size. pypdf (still used to check uploads) did the stamping until December 2026:
it parses and re-serialises every object and merges content streams in Python, 28 ms for a one-page 10 MB scan and
210 ms for 40 pages, where qpdf takes 12 ms and 38 ms (docs/documents.md, "Figures"). JPEG/PNG: Pillow draws a band.
DOCX: python-docx (already used for the plan export) adds the line to every section's headers. ODT: lxml
adds it to the header of every master page in styles.xml; odfpy was the alternative, but it has had no
release since 2020 and loads the whole document into its own tree for what is one element in one part.
"""

from __future__ import annotations

import io
from contextlib import ExitStack


def _stamp(width: float, height: float, text: str) -> bytes:
    """A one-page PDF of *width* × *height* points: *text* along the top and bottom edges, a faint diagonal
    "VERTROUWELIJK" across the middle."""
    from reportlab.lib.colors import Color
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setFillColor(Color(0.75, 0, 0, alpha=0.8))
    c.setFont("Helvetica-Bold", 8)
    c.drawString(18, 12, text)  # along the bottom edge: readable, never hiding the content
    c.drawString(18, height - 16, text)
    c.saveState()
    c.setFillColor(Color(0.75, 0, 0, alpha=0.12))
    c.setFont("Helvetica-Bold", 28)
    c.translate(width / 2, height / 2)
    c.rotate(35)
    c.drawCentredString(0, 0, "VERTROUWELIJK")
    c.restoreState()
    c.save()
    return buf.getvalue()


def watermark_pdf(data: bytes, text: str) -> bytes:
    """*data* (a PDF we accepted) with *text* stamped over every page of its page tree (one stamp per page size,
    placed on the page's media box) and in the document's Subject.

    qpdf writes the file anew, never as an incremental update: no earlier revision without the stamp can be cut
    back out of it. Streams are copied as they are (``StreamDecodeLevel.none``, ``compress_streams=False``):
    nothing is decompressed and compressed again, which is where the time of a large scan would go.
    """
    import pikepdf

    stamps: dict[tuple[float, float], pikepdf.Page] = {}
    out = io.BytesIO()
    with ExitStack() as opened:
        pdf = opened.enter_context(pikepdf.open(io.BytesIO(data)))
        for page in pdf.pages:
            box = pikepdf.Rectangle(page.mediabox)
            size = (box.width, box.height)
            if size not in stamps:
                stamps[size] = opened.enter_context(pikepdf.open(io.BytesIO(_stamp(*size, text)))).pages[0]
            page.add_overlay(stamps[size], box)
        pdf.docinfo["/Subject"] = text
        pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def watermark_image(data: bytes, text: str, fmt: str) -> bytes:
    """A JPEG or PNG with *text* drawn along its bottom edge, re-encoded (which also drops EXIF, e.g. GPS)."""
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGB") if fmt == "JPEG" else img.convert("RGBA")
        size = max(10, img.width // 60)
        font = ImageFont.load_default(size=size)
        draw = ImageDraw.Draw(img)
        box = draw.textbbox((0, 0), text, font=font)
        height = box[3] - box[1] + size // 2
        draw.rectangle((0, img.height - height, img.width, img.height), fill=(255, 255, 255))
        draw.text((size // 2, img.height - height + size // 4), text, fill=(190, 0, 0), font=font)
        out = io.BytesIO()
        img.save(out, fmt, quality=90) if fmt == "JPEG" else img.save(out, fmt)
    return out.getvalue()


def watermark_docx(data: bytes, text: str) -> bytes:
    """A Word document with *text* as the first paragraph of every header of every section (so on every page),
    in red, and in the document's properties; python-docx rewrites only the parts it touched."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    document = Document(io.BytesIO(data))
    for section in document.sections:
        headers = [section.header]
        if section.different_first_page_header_footer:
            headers.append(section.first_page_header)
        if document.settings.odd_and_even_pages_header_footer:
            headers.append(section.even_page_header)
        for header in headers:
            header.is_linked_to_previous = False  # a section of its own header: the stamp is on each page
            first = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            run = first.insert_paragraph_before().add_run(text)
            run.bold, run.font.size, run.font.color.rgb = True, Pt(8), RGBColor(0xBF, 0, 0)
    document.core_properties.subject = text[:255]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_ODF = {"office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
        "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
        "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}


def watermark_odt(data: bytes, text: str) -> bytes:
    """An OpenDocument text with *text* as the first paragraph of the header of every master page (every page
    style), or, when the file has no page styles, as its first paragraph. Only styles.xml (or content.xml) is
    rewritten, with lxml; every other part is copied as it was, ``mimetype`` first and uncompressed."""
    import zipfile

    from lxml import etree

    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    changed: dict[str, bytes] = {}

    def paragraph():
        p = etree.Element(f"{{{_ODF['text']}}}p")
        p.text = text
        return p

    if "styles.xml" in names:
        styles = etree.fromstring(source.read("styles.xml"), parser)
        pages = styles.findall(".//style:master-page", _ODF)
        for page in pages:
            header = page.find("style:header", _ODF)
            if header is None:
                header = etree.Element(f"{{{_ODF['style']}}}header")
                page.insert(0, header)
            header.insert(0, paragraph())
        if pages:
            changed["styles.xml"] = etree.tostring(styles, xml_declaration=True, encoding="UTF-8")
    if not changed:
        content = etree.fromstring(source.read("content.xml"), parser)
        body = content.find("office:body/office:text", _ODF)
        if body is None:
            raise ValueError("ODT without a text body")
        body.insert(0, paragraph())
        changed["content.xml"] = etree.tostring(content, xml_declaration=True, encoding="UTF-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = changed.get(info.filename) or source.read(info.filename)
            kind = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, body, compress_type=kind)
    return out.getvalue()
