"""The PDF watermark itself: every page marked, whatever its size, in a file written anew."""

import io

from pypdf import PdfReader, PdfWriter

from mda.documents.watermark import watermark_pdf

STAMP = "Vertrouwelijk \u2014 gedownload door Ans Agent (Politie) op 03-12-2026 10:00"


def _mixed_pdf_with_two_revisions() -> bytes:
    """Three pages (A4 portrait, A4 landscape, a page whose media box does not start at 0,0), then an incremental
    update on top, as a PDF edited after it was made can be."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n, size in enumerate([(595, 842), (842, 595), (400, 300)]):
        c.setPageSize(size)
        c.drawString(40, 40, f"Bijlage pagina {n + 1}")
        c.showPage()
    c.save()
    writer = PdfWriter(io.BytesIO(buf.getvalue()), incremental=True)
    writer.pages[2].mediabox.lower_left = (-100, -50)
    writer.add_metadata({"/Title": "tweede revisie"})
    out = io.BytesIO()
    writer.write(out)
    assert out.getvalue().count(b"%%EOF") == 2
    return out.getvalue()


def test_every_page_is_stamped_in_a_file_with_one_revision():
    """Does every page (of three sizes, one with a moved media box) carry the stamp along both edges, is the stamp
    the document's subject, and is the result one revision (no earlier, unmarked revision to cut back to)?"""
    marked = watermark_pdf(_mixed_pdf_with_two_revisions(), STAMP)
    assert marked.count(b"%%EOF") == 1 and marked.count(b"startxref") == 1
    reader = PdfReader(io.BytesIO(marked))
    assert len(reader.pages) == 3 and reader.metadata["/Subject"] == STAMP
    for n, page in enumerate(reader.pages):
        text = page.extract_text()
        assert f"Bijlage pagina {n + 1}" in text and text.count(STAMP) == 2, n  # top and bottom edge
