"""What a submitted file is, judged by its content, and what can be read from it (title, type).

Only .docx and .pdf are accepted: that is what OPDs send and what reviewers can comment on. The
checks themselves (drivebot.checks) run within fixed limits before anything reads a file in
full. A refusal raises BadDocument with a reason key; the message catalogue explains each one in
plain words (`[reason.<key>]`). LibreOffice, when installed, turns a .docx final into a PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePath

from drivebot.checks import ooxml, pdf
from drivebot.checks.limits import Limits
from drivebot.checks.sniff import Kind, sniff
from drivebot.errors import BadDocument
from drivebot.flows import ProductType, detect_product_type
from drivebot.i18n import product_name

_STOP = re.compile(r"^(menimbang|dengan rahmat|mengingat|memutuskan)\b", re.I)
_SUFFIX = {Kind.PDF: ".pdf", Kind.ZIP: ".docx"}


@dataclass(frozen=True)
class DocumentInfo:
    suffix: str  # ".docx" or ".pdf": what the content is, whatever the name says
    title: str
    product_type: ProductType | None


def check_size(name: str, size: int | None, max_bytes: int) -> None:
    """Refuse a file over the size limit before downloading it (its kind is told by content,
    after download)."""
    if size is not None and size > max_bytes:
        raise BadDocument("too_large", f"{name}: {size} bytes, limit {max_bytes}")


def inspect(path: Path, name: str, limits: Limits) -> DocumentInfo:
    """Check a downloaded file by its content and read its title; raises BadDocument when it
    cannot be used. A PDF named .docx is a PDF; a file without an extension is what it holds."""
    check_size(name, path.stat().st_size, limits.file_bytes)
    kind = sniff(path)
    if kind is Kind.EMPTY:
        raise BadDocument("empty_file", name)
    if kind is Kind.OLE:
        ooxml.check_ole(path)  # always refuses, saying which old format it is
    if kind is Kind.ZIP:
        lines = ooxml.opening_lines(path, limits)
    elif kind is Kind.PDF:
        pdf.check(path, limits)
        lines = pdf.lines(path, limits)
    else:
        named = PurePath(name.strip()).suffix.lower()
        reason = {".docx": "docx_corrupt", ".pdf": "pdf_corrupt"}.get(named, "unsupported_type")
        raise BadDocument(reason, f"{name}: neither a Word document (.docx) nor a PDF")
    product, subject = _heading(lines)
    stem = PurePath(name.strip()).stem.strip()
    product_type = product or detect_product_type(stem)
    return DocumentInfo(_SUFFIX[kind], _title(product_type, subject, stem), product_type)


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
