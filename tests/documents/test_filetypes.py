"""What an upload is, decided by its content: the accepted types and every hostile file refused in Dutch."""

import io
import zipfile

import pytest

from mda.core.errors import ServiceError
from mda.documents import filetypes
from tests.documents.conftest import EICAR, make_docx, make_jpeg, make_odt, make_pdf, make_png


@pytest.mark.parametrize(("make", "expected"), [
    (make_pdf, filetypes.PDF), (make_docx, filetypes.DOCX), (make_odt, filetypes.ODT),
    (make_jpeg, filetypes.JPEG), (make_png, filetypes.PNG)])
def test_each_accepted_type_is_recognised_by_its_content(make, expected):
    """Is a real PDF, DOCX, ODT, JPEG and PNG recognised as what it is, whatever it would be called?"""
    assert filetypes.detect(make()) == expected


def _zip_bomb_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", b"<w:document/>")
        z.writestr("word/media/padding.bin", b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros: a few kB packed
    return buf.getvalue()


HOSTILE = {
    "macro-docx": (lambda: make_docx({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}), "macro"),
    "macro-content-type": (lambda: make_docx(content_types=b"<Types><Override ContentType='application/vnd."
                                                           b"ms-word.document.macroEnabled.main+xml'/></Types>"),
                           "macro"),
    "html-as-pdf": (lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML"),
    "svg": (lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG"),
    "exe": (lambda: b"MZ\x90\x00" + b"\0" * 100, "Programma"),
    "elf": (lambda: b"\x7fELF" + b"\0" * 100, "Programma"),
    "pdf-html-polyglot": (lambda: make_pdf()[:400] + b"<html><body><script>alert(1)</script>" + make_pdf()[400:],
                          "polyglot"),
    "pdf-with-javascript": (lambda: make_pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction "
                                                                          b"<< /S /JavaScript /JS (app.alert(1)) >>"),
                            "scripts"),
    "pdf-with-javascript-in-an-object-stream": (lambda: _javascript_in_object_stream(), "scripts"),
    "zip-bomb-docx": (_zip_bomb_docx, "zip-bom"),
    "empty": (lambda: b"", "leeg"),
    "old-word": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "macro"),
    "plain-text": (lambda: EICAR, "niet geaccepteerd"),
    "other-zip": (lambda: _plain_zip(), "geen Word"),
    "broken-pdf": (lambda: b"%PDF-1.7\n garbage without objects", "beschadigd"),
}


def _javascript_in_object_stream() -> bytes:
    """A PDF 1.5 whose open action runs JavaScript, the action kept in a compressed object stream (as many tools
    write them): the word "/JavaScript" is nowhere in the file's bytes."""
    import struct
    import zlib

    action = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
    packed = zlib.compress(b"4 0 " + action)
    parts = [b"%PDF-1.5\n"]
    offsets = {}
    bodies = {1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
              2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
              3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
              5: b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
                 + packed + b"\nendstream"}
    for number, body in bodies.items():
        offsets[number] = sum(len(x) for x in parts)
        parts.append(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    offsets[6] = sum(len(x) for x in parts)
    rows = [struct.pack(">BIH", 0, 0, 65535)] + [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3)] + [
        struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[5], 0), struct.pack(">BIH", 1, offsets[6], 0)]
    table = b"".join(rows)
    parts.append(b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
                 + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6])
    data = b"".join(parts)
    assert b"JavaScript" not in data
    return data


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", b"hello")
    return buf.getvalue()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_with_a_dutch_reason(name):
    """Is each hostile or unsupported file refused, with a Dutch sentence that says why?"""
    make, phrase = HOSTILE[name]
    with pytest.raises(ServiceError) as refused:
        filetypes.detect(make())
    assert phrase.lower() in refused.value.message.lower()


@pytest.mark.parametrize(("raw", "phrase"), [("../../etc/passwd.pdf", "mapnamen"), ("rapport\0.pdf", "stuurtekens"),
                                             ("C:\\Users\\x\\rapport.pdf", "mapnamen"), ("..", "mapnamen")])
def test_file_names_with_paths_or_control_characters_are_refused(raw, phrase):
    """Is a file name with a folder, '..' or a NUL refused rather than quietly repaired?"""
    with pytest.raises(ServiceError) as refused:
        filetypes.clean_title(raw)
    assert phrase in refused.value.message


def test_an_ordinary_file_name_becomes_the_display_title():
    """Does an ordinary name keep its text (spaces collapsed), and an empty one become 'Document'?"""
    assert filetypes.clean_title("  Proces-verbaal   politie.pdf ") == "Proces-verbaal politie.pdf"
    assert filetypes.clean_title("") == "Document"


def test_a_large_scanned_pdf_whose_image_bytes_spell_js_is_accepted():
    """Is a PDF accepted when the compressed bytes of its picture happen to contain "/JS" and "/Launch" (a 10 MB scan
    does, one time in three), since no object of it names a script?"""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf()))
    noise = DecodedStreamObject()
    noise.set_data(b"\x00\x17/JS \x99/Launch\x00" * 1000)
    noise[NameObject("/Type")] = NameObject("/XObject")
    writer._add_object(noise)
    out = io.BytesIO()
    writer.write(out)
    assert b"/JS " in out.getvalue()
    assert filetypes.detect(out.getvalue()) == filetypes.PDF
