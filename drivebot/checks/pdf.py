"""A PDF, checked before it is taken in, and its text read without inflating what is too big.

`check` refuses a PDF that needs a password, is damaged, has a page tree that loops, or carries
active content: JavaScript or launch actions (/OpenAction, /AA, the JavaScript name tree, link
actions on pages) and embedded executables. Such a file is quarantined, never cleaned: a cleaned
copy would no longer be the file its sender (or the Regent's office) signed, and nobody needs
scripts in a legal draft. `lines` reads the text of the first pages, but only of pages whose
content streams inflate within the limit (a stream can inflate to gigabytes): anything else is
read as no text.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.filters import ASCII85Decode, ASCIIHexDecode
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from drivebot.checks.limits import Limits
from drivebot.errors import BadDocument
from drivebot.stamping import pdf_page_count

_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/Rendition", "/SubmitForm"}
_EXECUTABLE = (
    ".exe",
    ".com",
    ".bat",
    ".cmd",
    ".scr",
    ".msi",
    ".dll",
    ".js",
    ".jse",
    ".vbs",
    ".vbe",
    ".wsf",
    ".ps1",
    ".jar",
    ".sh",
    ".app",
    ".hta",
    ".lnk",
    ".pif",
    ".cpl",
)
_MAX_NODES = 100_000  # page tree nodes and name-tree entries looked at, at most
_MAX_FORMS = 200  # form XObjects looked into per page, at most
_CHUNK = 1 << 20


def check(path: Path, limits: Limits) -> int:
    """The page count of a usable PDF; raises BadDocument otherwise."""
    pages = pdf_page_count(path)  # damaged or password-protected: refused there
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        catalog = reader.trailer["/Root"].get_object()
        if not isinstance(catalog, DictionaryObject):
            raise BadDocument("pdf_corrupt", "the document catalog is not a dictionary")
        _check_tree(catalog)
        why = _active_content(reader, catalog)
    except BadDocument:
        raise
    except Exception as exc:  # pypdf raises many types on malformed objects
        raise BadDocument("pdf_corrupt", f"{type(exc).__name__}: {exc}") from None
    if why:
        raise BadDocument("pdf_active", why)
    return pages


def _check_tree(catalog: DictionaryObject) -> None:
    """Refuse a page tree in which a node is its own ancestor."""
    root = catalog.raw_get("/Pages")
    stack: list[tuple[Any, frozenset[tuple[int, int]]]] = [(root, frozenset())]
    visited = 0
    while stack:
        ref, ancestors = stack.pop()
        visited += 1
        if visited > _MAX_NODES:
            raise BadDocument("pdf_corrupt", "the page tree is too large")
        key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else None
        if key is not None and key in ancestors:
            raise BadDocument("pdf_corrupt", "the page tree loops back on itself")
        node = ref.get_object()
        kids = node.get("/Kids") if isinstance(node, DictionaryObject) else None
        if isinstance(kids, ArrayObject):
            inner = ancestors | {key} if key is not None else ancestors
            stack.extend((kid, inner) for kid in kids)


def _action(value: Any) -> str | None:
    """The active action a /A, /OpenAction or /AA entry holds, if any."""
    value = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(value, DictionaryObject):
        kind = value.get("/S")
        if kind in _ACTIVE_ACTIONS:
            return str(kind)[1:]
    return None


def _active_content(reader: PdfReader, catalog: DictionaryObject) -> str | None:
    if (found := _action(catalog.get("/OpenAction"))) is not None:
        return f"an action runs when it opens ({found})"
    if "/AA" in catalog:
        return "additional actions (/AA) in the document catalog"
    names = catalog.get("/Names")
    names = names.get_object() if isinstance(names, IndirectObject) else names
    if isinstance(names, DictionaryObject):
        if "/JavaScript" in names:
            return "document-level JavaScript"
        for filename in _name_tree_keys(names.get("/EmbeddedFiles")):
            if filename.lower().rstrip().endswith(_EXECUTABLE):
                return f"an embedded program ({filename})"
    for page in reader.pages:
        if "/AA" in page:
            return "additional actions (/AA) on a page"
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if not isinstance(annotation, DictionaryObject):
                continue
            if "/AA" in annotation or (found := _action(annotation.get("/A"))) is not None:
                return f"a link or field that runs an action ({found or 'AA'})"
            attached = annotation.get("/FS")
            attached = attached.get_object() if isinstance(attached, IndirectObject) else attached
            if isinstance(attached, DictionaryObject):
                name = str(attached.get("/UF") or attached.get("/F") or "")
                if name.lower().endswith(_EXECUTABLE):
                    return f"an attached program ({name})"
    return None


def _name_tree_keys(node: Any) -> list[str]:
    """The keys of a name tree (bounded), e.g. the embedded files' names."""
    keys: list[str] = []
    stack = [node]
    while stack and len(keys) < _MAX_NODES:
        item = stack.pop()
        item = item.get_object() if isinstance(item, IndirectObject) else item
        if not isinstance(item, DictionaryObject):
            continue
        names = item.get("/Names")
        if isinstance(names, ArrayObject):
            keys += [str(name) for name in names[0::2]]
        kids = item.get("/Kids")
        if isinstance(kids, ArrayObject):
            stack.extend(kids[:_MAX_NODES])
    return keys


def page_texts(
    path: Path, limits: Limits, first: int | None = None, last: int = 0
) -> list[str] | None:
    """The text of each of the first `first` and the last `last` pages (each page once, in
    order; every page when `first` is None); a page whose content would inflate past the
    limit reads as empty. None when the file cannot be read as a PDF."""
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        count = len(reader.pages)
        head = count if first is None else min(first, count)
        wanted = sorted({*range(head), *range(max(count - last, 0), count)})
        texts = []
        for index in wanted:
            page = reader.pages[index]
            within = _inflates_within(page, limits.pdf_stream_bytes)
            texts.append((page.extract_text() or "") if within else "")
        return texts
    except Exception:  # not a PDF pypdf can read
        return None


def lines(path: Path, limits: Limits, pages: int = 1) -> list[str]:
    """The text lines of the first `pages` pages (see page_texts)."""
    texts = page_texts(path, limits, pages) or []
    return [line.strip() for text in texts for line in text.splitlines() if line.strip()]


def _inflates_within(page: DictionaryObject, limit: int) -> bool:
    """Whether the page's content streams and form XObjects all inflate within `limit` bytes,
    tried with a bounded decompressor (nothing past the limit is ever produced)."""
    budget = limit
    streams = _content_streams(page)
    forms = 0
    while streams:
        stream = streams.pop()
        size = _inflated_size(stream, budget)
        if size is None:
            return False
        budget -= size
        for form in _forms(stream):
            forms += 1
            if forms > _MAX_FORMS:
                return False
            streams.append(form)
    return True


def _content_streams(page: DictionaryObject) -> list[StreamObject]:
    contents = page.get("/Contents")
    contents = contents.get_object() if isinstance(contents, IndirectObject) else contents
    items = contents if isinstance(contents, ArrayObject) else [contents]
    resolved = [item.get_object() if isinstance(item, IndirectObject) else item for item in items]
    streams = [item for item in resolved if isinstance(item, StreamObject)]
    return streams + _forms(page)


def _forms(holder: DictionaryObject) -> list[StreamObject]:
    resources = holder.get("/Resources")
    resources = resources.get_object() if isinstance(resources, IndirectObject) else resources
    if not isinstance(resources, DictionaryObject):
        return []
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if isinstance(xobjects, IndirectObject) else xobjects
    if not isinstance(xobjects, DictionaryObject):
        return []
    found = []
    for value in list(xobjects.values())[:_MAX_FORMS]:
        value = value.get_object() if isinstance(value, IndirectObject) else value
        if (
            isinstance(value, StreamObject)
            and value.get("/Subtype") == "/Form"
            and value is not holder
        ):
            found.append(value)
    return found


def _inflated_size(stream: StreamObject, budget: int) -> int | None:
    """The stream's decoded size if it stays within `budget`, else None. ASCII85 and ASCIIHex
    only shrink their input, so they are decoded as they are; Flate runs through a bounded
    decompressor; any other filter (LZW, run-length...) is not bounded here: no text."""
    data: bytes = stream._data  # the encoded bytes as stored: nothing inflated yet
    filters = stream.get("/Filter")
    names = list(filters) if isinstance(filters, ArrayObject) else [filters] if filters else []
    names = [str(name) for name in names]
    for name in names:
        if name in ("/ASCII85Decode", "/A85"):
            data = ASCII85Decode.decode(data)
        elif name in ("/ASCIIHexDecode", "/AHx"):
            data = ASCIIHexDecode.decode(data)
        elif name in ("/FlateDecode", "/Fl"):
            return _flate_size(data, budget) if name is names[-1] or len(names) == 1 else None
        else:
            return None
    return len(data) if len(data) <= budget else None


def _flate_size(data: bytes, budget: int) -> int | None:
    """The inflated size of `data`, counted a megabyte at a time and never kept, or None past
    `budget` (or when it is not valid Flate)."""
    inflater = zlib.decompressobj()
    size = 0
    try:
        while data:
            size += len(inflater.decompress(data, _CHUNK))
            if size > budget:
                return None
            data = inflater.unconsumed_tail
        return size + len(inflater.flush())
    except zlib.error:
        return None
