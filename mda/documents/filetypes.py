"""What an uploaded file is, decided by its content (never by its name), and whether we take it.

Accepted: PDF, DOCX, ODT, JPEG, PNG. Refused: macro-enabled Office files, HTML, SVG, executables,
encrypted or scripted PDFs, archives that unpack to far more than they weigh (zip bombs), PDFs and pictures
that do not open completely (cut off, a broken page tree: the watermark of every download opens them), and
anything else. Every refusal is a Dutch sentence for the user (:class:`mda.core.errors.ServiceError`).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from mda.core.errors import ServiceError

#: an Office file may unpack to at most this many bytes, and at most this many times its own size
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 2000


@dataclass(frozen=True)
class FileType:
    """A type we accept: its MIME type, the extension of the neutral download name, its Dutch name."""

    content_type: str
    extension: str
    name: str


PDF = FileType("application/pdf", "pdf", "PDF")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word")
ODT = FileType("application/vnd.oasis.opendocument.text", "odt", "OpenDocument-tekst")
JPEG = FileType("image/jpeg", "jpg", "JPEG-afbeelding")
PNG = FileType("image/png", "png", "PNG-afbeelding")

DAMAGED = "Het bestand is beschadigd en kan niet worden geopend. Sla het opnieuw op en probeer het nog eens."
ACCEPTED = "PDF, Word (.docx), OpenDocument-tekst (.odt), JPEG of PNG"
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|script|svg|iframe|body|head|\?xml)", re.IGNORECASE)
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
#: PDF names that make a document act (scripts, launching programs, files inside, Flash, XML forms)
_ACTIVE_NAMES = frozenset({"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"})
#: the most objects walked looking for them: far above a real report, a bound for a hostile file
MAX_PDF_OBJECTS = 200_000


def refuse(message: str) -> ServiceError:
    """A refusal of the upload (422) with a Dutch *message*."""
    return ServiceError(message, field="file")


def detect(data: bytes) -> FileType:
    """The accepted type of *data*, or a :class:`ServiceError` saying why it is refused."""
    if not data:
        raise refuse("Het bestand is leeg. Kies een bestand met inhoud.")
    head = data[:2048]
    if head.startswith(_EXECUTABLE_MAGIC):
        raise refuse("Programma's en scripts worden niet geaccepteerd. Toegestaan: " + ACCEPTED + ".")
    if data.startswith(b"%PDF-"):
        return _pdf(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        _no_markup(data)
        return _image_opens(data, PNG)
    if data.startswith(b"\xff\xd8\xff"):
        _no_markup(data)
        return _image_opens(data, JPEG)
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise refuse("Oude Office-bestanden (.doc, .xls) kunnen macro's bevatten en worden niet geaccepteerd. "
                     "Sla het bestand op als PDF of .docx.")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if _MARKUP.match(stripped) or b"<svg" in stripped or b"<html" in stripped:
        raise refuse("HTML- en SVG-bestanden worden niet geaccepteerd (ze kunnen scripts bevatten). "
                     "Toegestaan: " + ACCEPTED + ".")
    raise refuse("Dit bestandstype wordt niet geaccepteerd. Toegestaan: " + ACCEPTED + ".")


def _no_markup(data: bytes) -> None:
    """A polyglot (an image or PDF that is also a web page) is refused: a browser could run it as HTML."""
    if _MARKUP.search(data[:4096]) and re.search(rb"<\s*(html|script|svg|body|iframe)", data[:65536], re.I):
        raise refuse("Het bestand bevat ook HTML of scripts (een zogenaamde polyglot) en wordt niet geaccepteerd.")


def _pdf(data: bytes) -> FileType:
    _no_markup(data)
    if b"PK\x03\x04" in data[:65536] and zipfile.is_zipfile(io.BytesIO(data)):
        raise refuse("Het bestand is tegelijk een PDF en een archief (een polyglot) en wordt niet geaccepteerd.")
    active = refuse("De PDF bevat scripts, ingesloten bestanden of formulierlogica en wordt niet geaccepteerd. "
                    "Druk hem af naar een nieuwe PDF en probeer het opnieuw.")
    # the objects written out, streams left aside: the bytes of an image or font may spell "/JS" by chance
    if any(_PDF_ACTIVE.search(part) for part in _outside_streams(data)):
        raise active
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise refuse("De PDF is beveiligd met een wachtwoord. Upload een onbeveiligde versie; "
                         "het platform beveiligt het document zelf.")
        if len(reader.pages) == 0:
            raise refuse("De PDF heeft geen pagina's.")
        if _has_active_content(reader):  # also what object streams hide from the search above
            raise active
    except ServiceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise refuse("De PDF is beschadigd en kan niet worden gelezen.") from None
    return _pdf_opens(data)


def opens(data: bytes, content_type: str) -> bool:
    """Whether a stored file of *content_type* opens completely (a PDF or picture stored before uploads were
    opened in full may not); the Office types are not opened here and count as opening."""
    check = {PDF.content_type: _pdf_opens, JPEG.content_type: lambda d: _image_opens(d, JPEG),
             PNG.content_type: lambda d: _image_opens(d, PNG)}.get(content_type)
    try:
        if check is not None:
            check(data)
    except ServiceError:
        return False
    return True


def _pdf_opens(data: bytes) -> FileType:
    """A PDF that qpdf (pikepdf, which stamps the watermark on every download) reads as well: opened, every page of
    its page tree with its media box and its content parsed. pypdf forgives what qpdf does not (a page tree without
    /Kids, a cut-off content stream): such a file was stored and then could never be downloaded."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = 0
            for page in pdf.pages:
                pikepdf.Rectangle(page.mediabox)
                pikepdf.parse_content_stream(page)
                pages += 1
    except (pikepdf.PikepdfError, RuntimeError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError):
        raise refuse(DAMAGED) from None
    if pages == 0:
        raise refuse(DAMAGED)
    return PDF


def _image_opens(data: bytes, kind: FileType) -> FileType:
    """A JPEG or PNG that Pillow decodes completely (as the watermark of every download does): a picture cut off
    halfway, or with a broken stream, is refused now rather than stored and never downloadable."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    except Image.DecompressionBombError:
        raise refuse("De afbeelding heeft te veel beeldpunten om veilig te openen. Verklein haar en probeer het "
                     "opnieuw.") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError, MemoryError):
        raise refuse(DAMAGED) from None
    return kind


def _outside_streams(data: bytes):
    """The stretches of a PDF between its streams (a stream's bytes are skipped from ``stream`` to ``endstream``),
    found with ``bytes.find``: a regular expression over 10 MB of image data took a quarter of a second."""
    start = 0
    while True:
        opened = data.find(b"stream", start)
        while opened > 0 and data[opened - 3:opened] == b"end":  # an "endstream" without its start: keep going
            opened = data.find(b"stream", opened + 6)
        if opened < 0:
            yield data[start:]
            return
        yield data[start:opened]
        closed = data.find(b"endstream", opened + 6)
        if closed < 0:
            return
        start = closed + 9


def _has_active_content(reader) -> bool:
    """Whether any object reachable from the trailer (dictionaries and arrays, decoded by pypdf, object streams
    included; stream contents are not walked) names a script, a launch action, an embedded file, Flash or XFA."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    todo: list = [reader.trailer]
    walked = 0
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise refuse("De PDF is onredelijk ingewikkeld en wordt niet geaccepteerd.")
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in _ACTIVE_NAMES or (key == "/S" and isinstance(value, NameObject) and value in _ACTIVE_NAMES):
                    return True
                todo.append(value)
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)
    return False


def _office(data: bytes) -> FileType:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refuse("Het bestand is een beschadigd archief en kan niet worden gelezen.") from None
    if len(infos) > MAX_ENTRIES:
        raise refuse("Het document bevat te veel onderdelen en wordt niet geaccepteerd.")
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
        raise refuse("Het document pakt uit tot een onredelijk grote omvang (mogelijk een zip-bom) "
                     "en wordt niet geaccepteerd.")
    names = {i.filename for i in infos}
    lowered = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") or n.endswith("vbadata.xml") for n in lowered) or any(
            n.startswith(("basic/", "scripts/")) for n in lowered):
        raise refuse("Het document bevat macro's en wordt niet geaccepteerd. Sla het op zonder macro's "
                     "(.docx of PDF) en probeer het opnieuw.")
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        types = _read(archive, "[Content_Types].xml")
        if b"macroEnabled" in types or b"vbaProject" in types:
            raise refuse("Het document bevat macro's en wordt niet geaccepteerd. Sla het op zonder macro's "
                         "(.docx of PDF) en probeer het opnieuw.")
        return DOCX
    if "mimetype" in names and _read(archive, "mimetype").strip() == ODT.content_type.encode():
        return ODT
    raise refuse("Dit archief is geen Word- of OpenDocument-tekstdocument. Toegestaan: " + ACCEPTED + ".")


def _read(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    """At most *limit* bytes of one member (the sizes were checked, but never trust a header)."""
    with archive.open(name) as fh:
        return fh.read(limit)


def clean_title(filename: str | None) -> str:
    """The user's file name as a display title: no folders, no control characters, at most 200 characters.

    A name with a path (``../``) or a control character (NUL) is refused: no browser sends one, so it is
    an attempt, and guessing what was meant would hide it.
    """
    name = unicodedata.normalize("NFC", filename or "")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise refuse("De bestandsnaam bevat onzichtbare stuurtekens. Geef het bestand een gewone naam.")
    if "/" in name or "\\" in name or name.strip().startswith(".."):
        raise refuse("De bestandsnaam mag geen mapnamen of '..' bevatten. Geef het bestand een gewone naam.")
    name = " ".join(name.split()).strip(" .")
    return name[:200] or "Document"
