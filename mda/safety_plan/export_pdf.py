"""The Word export as PDF, when LibreOffice is installed (detected at run time; optional).

LibreOffice converts the very document :mod:`mda.safety_plan.export_docx` built (same
engine decisions, same placeholders), in a temporary folder with a profile of its own per
run, so that concurrent conversions do not share LibreOffice's user profile.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from mda.safety_plan.export_docx import ExportedDocument

TIMEOUT_SECONDS = 120


def converter() -> str | None:
    """The path of ``soffice`` (LibreOffice), or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(document: ExportedDocument) -> ExportedDocument:
    """Convert *document* to PDF with LibreOffice headless; raises RuntimeError when that fails."""
    soffice = converter()
    if soffice is None:
        raise RuntimeError("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="mda-pdf-") as folder:
        work = Path(folder)
        source = work / "plan.docx"
        source.write_bytes(document.content)
        result = subprocess.run(  # noqa: S603 - fixed arguments, no user input in the command
            [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(work), str(source)], capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        target = work / "plan.pdf"
        if result.returncode != 0 or not target.exists():
            raise RuntimeError(f"LibreOffice could not convert the document (exit {result.returncode})")
        return ExportedDocument(target.read_bytes(), document.filename.removesuffix(".docx") + ".pdf")
