"""Intake checks for submitted files, and what can be read from them (title, product type).

Only .docx and .pdf are accepted: that is what OPDs send and what reviewers can comment on.
A check failure raises BadDocument with a reason key the e-mails explain in plain words.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from pypdf import PdfReader

from drivebot.errors import BadDocument
from drivebot.flows import ProductType, detect_product_type
from drivebot.i18n import product_name
from drivebot.stamping import pdf_page_count

ACCEPTED_SUFFIXES = (".docx", ".pdf")
_STOP = re.compile(r"^(menimbang|dengan rahmat|mengingat|memutuskan)\b", re.I)


@dataclass(frozen=True)
class DocumentInfo:
    suffix: str
    title: str
    product_type: ProductType | None


def check_file(name: str, size: int | None, max_bytes: int) -> str:
    """The file's accepted suffix, judged before downloading it."""
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise BadDocument("unsupported_type", f"{name}: only .docx and .pdf are accepted")
    if size is not None and size > max_bytes:
        raise BadDocument("too_large", f"{name}: {size} bytes, limit {max_bytes}")
    return suffix


def inspect(path: Path, name: str, max_bytes: int) -> DocumentInfo:
    """Check a downloaded file and read its title; raises BadDocument when it cannot be used."""
    size = path.stat().st_size
    suffix = check_file(name, size, max_bytes)
    if size == 0:
        raise BadDocument("empty_file", name)
    lines = _docx_lines(path, name) if suffix == ".docx" else _pdf_lines(path)
    kind, subject = _heading(lines)
    product_type = kind or detect_product_type(Path(name).stem)
    return DocumentInfo(suffix, _title(product_type, subject, Path(name).stem), product_type)


def pdf_converter() -> str | None:
    """LibreOffice, when installed: it turns a .docx final into a PDF that can be stamped."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(source: Path, out_dir: Path) -> Path:
    """The .docx converted to PDF by LibreOffice (headless); raises BadDocument if it fails."""
    converter = pdf_converter()
    if converter is None:
        raise BadDocument("no_converter", "LibreOffice is not installed")
    profile = out_dir / "lo-profile"  # its own profile: a desktop session may hold the default
    try:
        subprocess.run(
            [
                converter,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise BadDocument("docx_corrupt", f"LibreOffice could not convert it: {exc}") from None
    result = out_dir / f"{source.stem}.pdf"
    if not result.exists():
        raise BadDocument("docx_corrupt", "LibreOffice produced no PDF")
    return result


def _docx_lines(path: Path, name: str) -> list[str]:
    if not zipfile.is_zipfile(path):
        raise BadDocument(
            "docx_corrupt",
            f"{name} is not a .docx package (old .doc, password-protected, or damaged)",
        )
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types for a damaged package
        raise BadDocument("docx_corrupt", f"{name}: {exc}") from None
    return [p.text.strip() for p in document.paragraphs[:80] if p.text.strip()]


def _pdf_lines(path: Path) -> list[str]:
    pdf_page_count(path)  # raises BadDocument for corrupt or password-protected files
    try:
        text = PdfReader(path, strict=False).pages[0].extract_text() or ""
    except Exception:  # a readable but odd first page: no title, but still a valid draft
        return []
    return [line.strip() for line in text.splitlines() if line.strip()][:80]


def _heading(lines: list[str]) -> tuple[ProductType | None, str]:
    """The product type named before "TENTANG", and the subject that follows it."""
    for index, line in enumerate(lines):
        if line.upper() == "TENTANG":
            subject = []
            # The subject is set in capitals, one to a few lines, before the preamble starts.
            for following in lines[index + 1 : index + 5]:
                if _STOP.match(following) or not following.isupper():
                    break
                subject.append(following)
            kind = detect_product_type(" ".join(lines[:index]))
            return kind, " ".join(subject)
    return detect_product_type(" ".join(lines[:10])), ""


def _title(product_type: ProductType | None, subject: str, fallback: str) -> str:
    if not subject:
        return fallback
    subject = subject if not subject.isupper() else subject.title()
    if product_type is None:
        return f"Rancangan tentang {subject}"
    return f"Rancangan {product_name('id', product_type)} tentang {subject}"
