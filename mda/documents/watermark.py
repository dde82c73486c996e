"""A watermark on every page of a downloaded PDF: who downloaded it, for which organisation, and when.

pypdf (pure Python, maintained by the py-pdf project, BSD) merges a stamp onto each page; reportlab
(the long-standing PDF toolkit, BSD) draws the stamp. The stamp is drawn once per page size.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter, Transformation


def _stamp(width: float, height: float, text: str):
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
    return PdfReader(io.BytesIO(buf.getvalue())).pages[0]


def watermark_pdf(data: bytes, text: str) -> bytes:
    """*data* (a PDF we accepted) with *text* stamped on every page."""
    writer = PdfWriter(clone_from=io.BytesIO(data))
    stamps: dict[tuple[float, float], object] = {}
    for page in writer.pages:
        box = page.mediabox
        size = (float(box.width), float(box.height))
        if size not in stamps:
            stamps[size] = _stamp(*size, text)
        page.merge_transformed_page(stamps[size], Transformation().translate(float(box.left), float(box.bottom)))
    writer.add_metadata({"/Subject": text})
    out = io.BytesIO()
    writer.write(out)
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
