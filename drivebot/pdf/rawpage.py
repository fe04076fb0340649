"""Page dictionaries read and written as tokens: the incremental update's fast path.

Turning each page dictionary into pypdf objects and serialising it again was most of the time
left on 1000-page files (about 35 of 45 µs per page). The stamped page differs from the
original only in /Contents and /Resources, so a `RawPage` keeps the page's tokens (read.tokenize:
names, numbers, references and delimiters as the file has them) and `PageWriter` writes the new
dictionary by joining the original tokens of every other entry. Only what the stamp looks at
(the boxes, /Rotate, /Contents, a /Resources that is not a plain direct dictionary) becomes
pypdf objects. For anything outside the plain syntax (strings, comments, names with # escapes,
duplicate keys, unbalanced brackets) `leaf_reader` answers None and the page goes the
pypdf-object way in incremental.py; a test checks that both ways write the same dictionary.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import accumulate, repeat
from operator import itemgetter

from pypdf.generic import IndirectObject, PdfObject

from drivebot.pdf.draw import STAMP_NAME, Matrix, Stamper
from drivebot.pdf.objstm import FastReader
from drivebot.pdf.read import LeafReader, build

# Entries read as pypdf objects up front, so that a value that does not build sends the whole
# page to pypdf instead of failing later.
_BUILT = tuple((key, key.encode()) for key in ("/MediaBox", "/CropBox", "/Rotate", "/Contents"))
_GEOMETRY = ("/MediaBox", "/CropBox", "/Rotate")
_STAMP = STAMP_NAME.encode("ascii")

Span = tuple[int, int]  # token indices [start, end) of a value


class RawPage:
    """A page read as tokens; the PageView the Stamper needs, without a DictionaryObject."""

    __slots__ = ("entries", "inherited", "ref", "resources", "tokens", "values")

    def __init__(
        self,
        ref: IndirectObject,
        tokens: list[bytes],
        entries: dict[bytes, Span],
        inherited: dict[str, PdfObject],
    ) -> None:
        self.ref = ref
        self.tokens = tokens
        self.entries = entries
        self.inherited = inherited
        self.values: dict[str, PdfObject] = {}
        # Where the stamp's reference goes in a direct /Resources dictionary: before the
        # closing ">>" of its /XObject dictionary, or (none yet) of /Resources itself.
        self.resources: tuple[int, bool] | None = None

    def attr(self, key: str) -> PdfObject | None:
        if key in self.values:
            return self.values[key]
        return None if key.encode() in self.entries else self.inherited.get(key)

    def own(self, key: str) -> PdfObject | None:
        return self.values.get(key)

    def geometry(self) -> tuple[int, ...]:
        """What decides the placement: the own boxes and /Rotate as written (leaf() builds one
        object per distinct text of a value, shared by the pages that write it so) and the
        inherited scope (one dictionary per /Pages node); all alive as long as the pages."""
        values = self.values
        return (*(id(values.get(key)) for key in _GEOMETRY), id(self.inherited))


class Shape:
    """The bracket structure of a dictionary's tokens, shared by every dictionary whose tokens
    have the same first bytes (a file's pages mostly do): checked, and each nested
    dictionary's layout worked out, once per shape rather than once per page.

    The first byte tells the brackets apart (the tokenizer yields "<<" and ">>" only whole,
    and an empty token, checked for before, for anything it does not know) and names (/).
    """

    __slots__ = ("depths", "first", "keys", "layouts")

    def __init__(self, first: bytes, depths: list[int]) -> None:
        self.first = first
        self.depths = depths  # per token, the nesting depth after it
        self.layouts: dict[int, tuple[tuple[int, ...], tuple[Span, ...]] | None] = {}
        self.keys = self._keys()

    def _keys(self) -> tuple[int, ...]:
        """The token indices of every key of the dictionary and of the dictionaries in it
        (their names and these positions decide everything leaf() works out from them)."""
        found: list[int] = []
        pending = [(0, len(self.first))]
        while pending:
            layout = self.layout(*pending.pop())
            if layout is not None:
                keys, spans = layout
                found += keys
                pending += [span for span in spans if self.first[span[0]] == _OPEN]
        return tuple(found)

    @classmethod
    def of(cls, first: bytes) -> Shape | None:
        """None unless the brackets pair up and the tokens make exactly one dictionary."""
        brackets = first.translate(None, _NOT_BRACKETS)
        while True:  # strip innermost pairs until nothing or a mismatch is left
            inner = brackets.replace(b"[]", b"").replace(b"<>", b"")
            if inner == brackets:
                break
            brackets = inner
        if brackets:
            return None
        depths = list(accumulate(map(_DEPTH.get, first, repeat(0))))
        if not depths or first[0] != _OPEN or depths.index(0) != len(first) - 1:
            return None  # not one dictionary
        return cls(first, depths)

    def layout(self, start: int, end: int) -> tuple[tuple[int, ...], tuple[Span, ...]] | None:
        """For the dictionary at tokens [start, end): its keys' token indices and their
        values' spans; None unless it is a dictionary of name keys, each with a value."""
        if start not in self.layouts:
            self.layouts[start] = self._layout(start, end)
        return self.layouts[start]

    def _layout(self, start: int, end: int) -> tuple[tuple[int, ...], tuple[Span, ...]] | None:
        first, depths = self.first, self.depths
        if first[start] != _OPEN:
            return None
        level = depths[start]  # the depth after each of this dictionary's values
        keys: list[int] = []
        spans: list[Span] = []
        index, stop = start + 1, end - 1
        while index < stop:
            if first[index] != _SLASH or index + 1 == stop:
                return None
            value_end = depths.index(level, index + 1, stop) + 1
            keys.append(index)
            spans.append((index + 1, value_end))
            index = value_end
        return tuple(keys), tuple(spans)


class Structure:
    """A dictionary's tokens with their Shape."""

    __slots__ = ("shape", "tokens")

    def __init__(self, tokens: list[bytes], shape: Shape) -> None:
        self.tokens = tokens
        self.shape = shape

    def entries(self, span: Span) -> dict[bytes, Span] | None:
        """The entries of the dictionary at `span`, key -> span of its value; None unless it
        is a dictionary whose keys are names, each once, each with a value."""
        layout = self.shape.layout(*span)
        if layout is None:
            return None
        keys, spans = layout
        entries = dict(zip(map(self.tokens.__getitem__, keys), spans, strict=True))
        return entries if len(entries) == len(keys) else None  # a key twice: pypdf decides


_OPEN, _SLASH = ord("<"), ord("/")
_DEPTH = {ord("<"): 1, ord("["): 1, ord(">"): -1, ord("]"): -1}
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"<>[]")))
_FIRST_BYTE = itemgetter(0)


def leaf_reader(reader: FastReader) -> LeafReader:
    """collect_pages' hook: page dictionaries as RawPages, None for nodes and anything odd."""
    # Pages repeat their boxes and /Rotate; their values are built once (and never changed).
    built: dict[tuple[bytes, ...], PdfObject | None] = {}
    shapes: dict[bytes, Shape | None] = {}
    # Per shape and the names of its keys: the page's entries and where the stamp goes.
    plans: dict[tuple[bytes, tuple[bytes, ...]], _Plan | None] = {}

    def value(tokens: list[bytes]) -> PdfObject | None:
        if len(tokens) == 1 and tokens[0][-1:] == b"R":  # a reference, the usual /Contents
            number, generation, _r = tokens[0].split()
            return IndirectObject(int(number), int(generation), reader)
        key = tuple(tokens)
        if key not in built:
            built[key] = build(tokens, reader)
        return built[key]

    def leaf(ref: IndirectObject, inherited: dict[str, PdfObject]) -> RawPage | None:
        tokens = reader.tokens(ref)
        if not tokens or b"" in tokens:  # an empty token: syntax the tokenizer does not know
            return None
        first = bytes(map(_FIRST_BYTE, tokens))
        if first not in shapes:
            shapes[first] = Shape.of(first)
        shape = shapes[first]
        if shape is None:
            return None
        signature = (first, tuple(map(tokens.__getitem__, shape.keys)))
        if signature not in plans:
            plans[signature] = _plan(Structure(tokens, shape))
        plan = plans[signature]
        if plan is None:
            return None
        entries, slot = plan
        kind = entries.get(b"/Type")
        if kind is not None and tokens[kind[0]] == b"/Pages":
            return None  # a node
        page = RawPage(ref, tokens, entries, inherited)
        for key, raw_key in _BUILT:
            span = entries.get(raw_key)
            if span is not None:
                built_value = value(tokens[span[0] : span[1]])
                if built_value is None:
                    return None
                page.values[key] = built_value
        span = entries.get(b"/Resources")
        if span is not None:
            page.resources = slot
            if slot is None:  # indirect, or unusual: the Stamper copies it
                resources = build(tokens[span[0] : span[1]], reader)
                if resources is None:
                    return None
                page.values["/Resources"] = resources
        return page

    return leaf


# A page dictionary's entries (shared by the pages of one plan, never changed) and where the
# stamp's reference goes in its /Resources (see _stamp_slot).
_Plan = tuple[dict[bytes, Span], tuple[int, bool] | None]


def _plan(structure: Structure) -> _Plan | None:
    """What leaf() needs of a page dictionary that only its shape and key names decide; None
    for anything but a plain page dictionary."""
    entries = structure.entries((0, len(structure.tokens)))
    if entries is None or b"/Kids" in entries:
        return None
    kind = entries.get(b"/Type")
    if kind is not None and (kind[1] - kind[0] != 1 or structure.shape.first[kind[0]] != _SLASH):
        return None  # a /Type only pypdf can judge
    span = entries.get(b"/Resources")
    return entries, _stamp_slot(structure, span) if span is not None else None


def _stamp_slot(structure: Structure, span: Span) -> tuple[int, bool] | None:
    """Where to add the stamp to a direct /Resources dictionary, and whether /XObject is there
    already; None when only pypdf objects will do (indirect /XObject, the name taken...)."""
    entries = structure.entries(span)
    if entries is None:
        return None
    xobjects = entries.get(b"/XObject")
    if xobjects is None:
        return span[1] - 1, False
    names = structure.entries(xobjects)
    if names is None or _STAMP in names:  # stamped before: the Stamper picks a free name
        return None
    return xobjects[1] - 1, True


class _Placed:
    """Per geometry: the stamp form, its matrix, its /XObject entry and, once needed, the
    stream that closes a page's content under the usual name (pages of one size share all)."""

    __slots__ = ("closer", "entry", "form", "matrix")

    def __init__(self, form: IndirectObject, matrix: Matrix) -> None:
        self.form = form
        self.matrix = matrix
        self.entry = b"%s %d %d R" % (_STAMP, form.idnum, form.generation)
        self.closer: IndirectObject | None = None


class PageWriter:
    """Writes stamped RawPages through the Stamper's objects (forms, closers, resources)."""

    def __init__(
        self,
        stamper: Stamper,
        is_stream: Callable[[IndirectObject], bool | None],
        serialize: Callable[[PdfObject], bytes],
    ) -> None:
        self._stamper = stamper
        self._is_stream = is_stream
        self._serialize = serialize
        self._placed: dict[tuple[int, ...], _Placed] = {}

    def page_bytes(self, page: RawPage) -> bytes:
        """The page dictionary with the stamp: the original tokens, new /Resources, /Contents."""
        geometry = page.geometry()
        placed = self._placed.get(geometry)
        if placed is None:
            placed = self._placed[geometry] = _Placed(*self._stamper.place(page))
        tokens = page.tokens
        span = page.entries.get(b"/Resources")
        if span is not None and page.resources is not None:
            slot, has_xobjects = page.resources
            added = placed.entry if has_xobjects else b"/XObject << " + placed.entry + b" >>"
            resources = b" ".join([*tokens[span[0] : slot], added, *tokens[slot : span[1]]])
            if placed.closer is None:
                placed.closer = self._stamper.closer(placed.matrix, STAMP_NAME)
            closer = placed.closer
        else:
            value, name = self._stamper.resources_with_stamp(page, placed.form)
            resources = self._serialize(value)
            closer = self._stamper.closer(placed.matrix, name)
        opener = self._stamper.opener
        contents = page.values.get("/Contents")
        if type(contents) is IndirectObject and self._is_stream(contents):
            # The usual single stream, known without parsing it.
            array = b"[%d %d R %d %d R %d %d R]" % (
                *(opener.idnum, opener.generation),
                *(contents.idnum, contents.generation),
                *(closer.idnum, closer.generation),
            )
        else:
            refs = (opener, *self._stamper.content_refs(page), closer)
            array = b"[" + b" ".join(self._serialize(ref) for ref in refs) + b"]"
        return _replaced(tokens, page.entries, resources, array)


def _replaced(
    tokens: list[bytes], entries: dict[bytes, Span], resources: bytes, contents: bytes
) -> bytes:
    """The dictionary's tokens with the values of /Resources and /Contents replaced (or
    added at the end); every other entry as it was."""
    new = {b"/Resources": resources, b"/Contents": contents}
    pieces: list[bytes] = []
    position = 0
    for start, end, key in sorted((*entries[key], key) for key in new if key in entries):
        pieces += [*tokens[position:start], new.pop(key)]
        position = end
    pieces += tokens[position:-1]
    for key, value in new.items():
        pieces += [key, value]
    pieces.append(b">>")
    return b" ".join(pieces)
