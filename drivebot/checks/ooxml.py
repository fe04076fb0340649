"""A .docx package, checked before anything reads it, and its opening lines read within limits.

A .docx is a zip of XML parts. Before python-docx (or anything) loads one, `check` refuses what
no Word writes and what could hurt the reader:
- entry names that climb out of the package (`..`, absolute paths, drive letters);
- two entries with the same name (readers disagree on which one is the document, so a reviewer
  could see one text while the archive keeps another);
- a DTD or entity declarations (OOXML never has them; they are how XML bombs work);
- macros (a .docm renamed, or a vbaProject part);
- parts that inflate past the limits, judged first by the sizes the zip declares and then by
  counting the bytes that really come out (a zip can lie about its sizes).
An OLE compound file is either an encrypted (password-protected) .docx or an old .doc: both are
refused with their own reason. `opening_lines` checks, then reads the document's first paragraphs
with a streaming XML parser, so a large document is never held whole.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

import olefile
from lxml import etree

from drivebot.checks.limits import Limits
from drivebot.errors import BadDocument

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCUMENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
}
_MACRO_TYPES = {
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
}
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
_CHUNK = 1 << 20
_CONTENT_TYPES = "[Content_Types].xml"


def check_ole(path: Path) -> None:
    """Always raises: an OLE file is a password-protected .docx or an old binary .doc."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except Exception as exc:  # olefile raises many types on damaged files
        raise BadDocument("doc_format", f"an old Office file olefile cannot read: {exc}") from None
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        raise BadDocument("docx_encrypted", "the Word file is protected by a password")
    raise BadDocument("doc_format", "an old binary Word .doc (or another old Office file)")


def opening_lines(path: Path, limits: Limits, count: int = 80) -> list[str]:
    """Raise BadDocument unless the zip is a sound .docx; then its first `count` non-empty
    paragraphs (the package is opened once for both)."""
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadDocument("docx_corrupt", f"not a readable zip package: {exc}") from None
    with package:
        return _lines(package, _check(package, limits), count)


def _check(package: zipfile.ZipFile, limits: Limits) -> str:
    """The main part's name, once every check above has passed."""
    infos = package.infolist()
    _check_names([info.filename for info in infos])
    _check_declared_sizes(infos, limits)
    main = _main_part(package, limits)
    if any(PurePosixPath(info.filename).name.lower() == "vbaproject.bin" for info in infos):
        raise BadDocument("docx_macros", "the package holds a macro project (vbaProject.bin)")
    _inflate_all(package, infos, limits)
    return main


def _check_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise BadDocument("docx_crafted", f"an entry name climbs out of the package: {name!r}")
        # OPC part names are compared without regard to case.
        key = name.replace("\\", "/").lower()
        if key in seen:
            raise BadDocument("docx_crafted", f"two entries are named {name!r}")
        seen.add(key)


def _check_declared_sizes(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.part_bytes or total > limits.package_bytes:
            raise BadDocument("docx_too_large", f"{info.filename} declares {info.file_size} bytes")
        compressed = max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and info.file_size / compressed > limits.ratio:
            raise BadDocument(
                "docx_too_large",
                f"{info.filename} inflates {info.file_size // compressed}-fold",
            )


def _main_part(package: zipfile.ZipFile, limits: Limits) -> str:
    """The main document part, from [Content_Types].xml (a docm's macro type is refused)."""
    try:
        with package.open(_CONTENT_TYPES) as handle:
            types = _bounded(handle, limits.part_bytes, _CONTENT_TYPES)
    except KeyError:
        raise BadDocument("docx_corrupt", "the package has no [Content_Types].xml") from None
    if _DTD.search(types):
        raise BadDocument("docx_crafted", f"{_CONTENT_TYPES} declares a DTD or entities")
    root = etree.fromstring(types, _parser())
    for override in root:
        content_type = override.get("ContentType", "")
        part = override.get("PartName", "").lstrip("/")
        if content_type in _MACRO_TYPES:
            raise BadDocument("docx_macros", "a macro-enabled Word document (.docm)")
        if content_type in _DOCUMENT_TYPES:
            return part
    raise BadDocument("unsupported_type", "a zip package, but not a Word document")


def _bounded(handle: IO[bytes], limit: int, name: str) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise BadDocument("docx_too_large", f"{name} inflates past {limit} bytes")
    return data


def _inflate_all(package: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Inflate every part, counting what really comes out; look at each XML part's start."""
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        size = 0
        try:
            with package.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    if (
                        size == 0
                        and info.filename.lower().endswith((".xml", ".rels"))
                        and _DTD.search(chunk[:4096])
                    ):
                        raise BadDocument("docx_crafted", f"{info.filename} declares a DTD")
                    size += len(chunk)
                    total += len(chunk)
                    if size > limits.part_bytes or total > limits.package_bytes:
                        raise BadDocument(
                            "docx_too_large",
                            f"{info.filename} inflates past what its header declares",
                        )
        except BadDocument:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            # RuntimeError: an encrypted entry; NotImplementedError: an unknown compression.
            raise BadDocument("docx_corrupt", f"{info.filename}: {exc}") from None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _lines(package: zipfile.ZipFile, main: str, count: int) -> list[str]:
    """The document's first `count` non-empty paragraphs, read by a streaming parser."""
    found: list[str] = []
    with package.open(main) as handle:
        try:
            for _, paragraph in etree.iterparse(
                handle,
                events=("end",),
                tag=f"{W}p",
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                huge_tree=False,
            ):
                text = "".join(t.text or "" for t in paragraph.iter(f"{W}t")).strip()
                paragraph.clear()
                if text:
                    found.append(text)
                if len(found) >= count:
                    break
        except etree.XMLSyntaxError as exc:
            raise BadDocument("docx_corrupt", f"{main}: {exc}") from None
    return found
