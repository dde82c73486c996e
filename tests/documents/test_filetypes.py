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
    "zip-bomb-docx": (_zip_bomb_docx, "zip-bom"),
    "empty": (lambda: b"", "leeg"),
    "old-word": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "macro"),
    "plain-text": (lambda: EICAR, "niet geaccepteerd"),
    "other-zip": (lambda: _plain_zip(), "geen Word"),
    "broken-pdf": (lambda: b"%PDF-1.7\n garbage without objects", "beschadigd"),
}


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
