"""Files to upload (made here, never downloaded), a clamd of the suite's own, and the case scenario."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import time
import zipfile

import pytest

from tests.cases.conftest import scenario, strict_covenant, switch_to  # noqa: F401  (fixtures)
from tests.live.conftest import live, meeting  # noqa: F401  (fixtures: a live session with two case items)
from tests.meetings.conftest import invite, plan, service, world  # noqa: F401  (fixtures)
from tests.perf.conftest import count_queries  # noqa: F401  (fixture)

#: the EICAR test string: every virus scanner reports it, it harms nothing
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def make_pdf(text: str = "Proces-verbaal (fictief)", pages: int = 1) -> bytes:
    """A small real PDF whose pages carry *text*."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    for n in range(pages):
        c.drawString(72, 760, f"{text} {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def make_docx(extra: dict[str, bytes] | None = None, content_types: bytes | None = None) -> bytes:
    """A minimal Word document (the parts a .docx is recognised by), with *extra* parts added."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types or (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>'))
        z.writestr("word/document.xml", b"<w:document><w:body><w:p><w:t>Brief van school (fictief)</w:t></w:p>"
                                        b"</w:body></w:document>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def make_word(text: str = "Brief van school (fictief)", sections: int = 1) -> bytes:
    """A real Word document (python-docx) with *text* in the body; the second section has its own first page."""
    from docx import Document
    from docx.enum.section import WD_SECTION

    document = Document()
    document.add_paragraph(text)
    for n in range(1, sections):
        section = document.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = True
        document.add_paragraph(f"{text} deel {n + 1}")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3"')


def make_odt(text: str = "Risicotaxatie reclassering (fictief)", page_styles: bool = True) -> bytes:
    """A small valid OpenDocument text (as LibreOffice writes one: mimetype first and stored, a manifest, content,
    and styles with a master page unless *page_styles* is false)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", b"application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path='
            '"content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" '
            'manifest:media-type="text/xml"/></manifest:manifest>'))
        z.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
                                  f'<office:body><office:text><text:p>{text}</text:p></office:text></office:body>'
                                  '</office:document-content>')
        masters = ('<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1"/>'
                   '</office:master-styles>') if page_styles else ""
        z.writestr("styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODF_NS}>'
                                 '<office:automatic-styles><style:page-layout style:name="pm1"><style:page-layout-'
                                 'properties fo:page-width="21cm" fo:page-height="29.7cm"/></style:page-layout>'
                                 f'</office:automatic-styles>{masters}</office:document-styles>')
    return buf.getvalue()


def make_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def make_jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 200)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def clamd_address(tmp_path_factory):
    """The Unix socket of a clamd started for this run with a signature database built here (EICAR only):
    this machine cannot download signatures. Skipped when ClamAV is not installed."""
    clamd, sigtool = shutil.which("clamd") or "/usr/sbin/clamd", shutil.which("sigtool")
    if sigtool is None or not shutil.os.path.exists(clamd):
        pytest.skip("ClamAV (clamav, clamav-daemon) is niet geïnstalleerd")
    base = tmp_path_factory.mktemp("clamd")
    (base / "db").mkdir()
    sample = base / "eicar.txt"
    sample.write_bytes(EICAR)
    digest, size, _name = subprocess.run([sigtool, "--md5", str(sample)], capture_output=True, text=True,
                                         check=True).stdout.strip().split(":")
    (base / "db" / "test.hdb").write_text(f"{digest}:{size}:Eicar-Test-Signature\n")
    sock = base / "clamd.sock"
    (base / "clamd.conf").write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {base / 'db'}\nForeground yes\nLogFile {base / 'clamd.log'}\n"
        f"PidFile {base / 'clamd.pid'}\nStreamMaxLength 50M\nSelfCheck 0\n")
    proc = subprocess.Popen([clamd, "-c", str(base / "clamd.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(240):
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(str(sock))
                break
            except OSError:
                pass
        if proc.poll() is not None:
            pytest.fail(f"clamd stopte: {(base / 'clamd.log').read_text()[-500:]}")
        time.sleep(0.25)
    else:
        proc.terminate()
        pytest.fail("clamd startte niet binnen 60 s")
    yield str(sock)
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def app_config(app_config, tmp_path, clamd_address):
    """The suite's settings with a storage folder of this test's own and the suite's clamd."""
    return {**app_config, "DOCUMENT_DIR": str(tmp_path / "documenten"), "CLAMD_ADDRESS": clamd_address,
            "DOCUMENT_MAX_BYTES": 2 * 1024 * 1024}


def stored_files(app) -> list:
    """Every file in the document storage folder (disk storage)."""
    from pathlib import Path

    root = Path(app.config["DOCUMENT_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored(app) -> dict[str, bytes]:
    """What the configured storage holds: key -> the bytes as stored (ciphertext), from the blob table or the
    folder, read through a connection of its own (never the test's session)."""
    if app.config.get("DOCUMENT_STORAGE", "database") == "disk":
        return {p.name: p.read_bytes() for p in stored_files(app)}
    from sqlalchemy import text

    with app.extensions["mda_engine"].connect() as conn:
        return {k: bytes(v) for k, v in conn.execute(text("SELECT key, data FROM document_blob ORDER BY key"))}


@pytest.fixture(params=["database", "disk"])
def backend(request, app):
    """Each storage in turn: the database (default) and the folder."""
    app.config["DOCUMENT_STORAGE"] = request.param
    yield request.param
    app.config["DOCUMENT_STORAGE"] = "database"


def make_picture(fmt: str = "PNG") -> bytes:
    """A 256 × 256 grey gradient as PNG or JPEG: large enough that cutting it short cuts into the picture data."""
    from PIL import Image

    buf = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(buf, fmt)
    return buf.getvalue()


def make_damaged_pdf() -> bytes:
    """A PDF pypdf reads (its objects and page tree are sound) whose page content stream is garbled: qpdf, which
    stamps the watermark, cannot decode it."""
    data = make_pdf()
    start = data.index(b"stream\n", data.index(b"/Filter")) + len(b"stream\n")
    return data[:start + 5] + b"!" * 8 + data[start + 13:]
