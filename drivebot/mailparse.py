"""The attachments of an incoming e-mail, written to files as the message is read line by line.

The standard library's parser holds a message several times over while it parses (a 40 MB
attachment took about 570 MB) and recurses once per nesting level (a forward of a forward of a
forward... thousands deep raised RecursionError). This reader walks the message once, keeps a
stack of the open multipart boundaries, parses only each part's header block (with the standard
library, which is exact about RFC 2047/2231 names), and decodes base64 or quoted-printable
bodies straight into files. It refuses a message nested deeper than `Limits.mail_depth`, with
more than `Limits.mail_parts` parts, or with an attachment larger than `Limits.file_bytes`.

Only parts that carry a file name are attachments; text bodies are skipped.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import BinaryIO

from drivebot.checks.limits import Limits
from drivebot.errors import BadDocument

_HEADERS = BytesHeaderParser(policy=policy.default)
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


@dataclass(frozen=True)
class Attachment:
    filename: str  # as the sender named it (decoded); may hold anything
    content_type: str
    path: Path  # the decoded bytes
    size: int


class _Lines:
    """The message's lines, one at a time (a file object's own iteration, named for clarity)."""

    def __init__(self, handle: BinaryIO):
        self._iter = iter(handle)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._iter)


def _header_block(lines: _Lines) -> EmailMessage:
    """Read header lines up to the blank line that ends them (or the end of the message)."""
    block = bytearray()
    for line in lines:
        if line in (b"\n", b"\r\n"):
            break
        block += line
        if len(block) > 256 * 1024:  # headers are small: this is not a message
            raise BadDocument("mail_unreadable", "a part's headers run past 256 KiB")
    parsed: EmailMessage = _HEADERS.parsebytes(bytes(block))
    return parsed


def _boundary_of(line: bytes, stack: list[bytes | None]) -> tuple[int, bool] | None:
    """(stack index, closing) if `line` is a delimiter of an open multipart. The stack holds
    each open multipart's boundary, and None for each forwarded message (message/rfc822)."""
    if not line.startswith(b"--"):
        return None
    text = line.rstrip(b"\r\n").rstrip(b" \t")
    for index in range(len(stack) - 1, -1, -1):
        boundary = stack[index]
        if boundary is None:
            continue
        if text == b"--" + boundary:
            return index, False
        if text == b"--" + boundary + b"--":
            return index, True
    return None


class _Decoder:
    """Decodes a body into a file as its lines arrive, counting the bytes written."""

    def __init__(self, path: Path, encoding: str, limit: int):
        self.path = path
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        self._pending = b""
        self._out = path.open("wb")

    def feed(self, line: bytes) -> None:
        if self.encoding == "base64":
            data = self._pending + _NOT_BASE64.sub(b"", line)
            whole = len(data) - len(data) % 4
            self._pending = data[whole:]
            self._write(base64.b64decode(data[:whole]) if whole else b"")
        elif self.encoding == "quoted-printable":
            self._write(binascii.a2b_qp(line))
        else:
            self._write(line)

    def _write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise BadDocument("too_large", f"an attachment decodes past {self.limit} bytes")
        self._out.write(data)

    def close(self) -> None:
        if self.encoding == "base64" and self._pending:
            padded = self._pending + b"=" * (-len(self._pending) % 4)
            # A stray character at the very end is ignored, as the standard library would.
            with contextlib.suppress(binascii.Error):
                self._write(base64.b64decode(padded))
        self._out.close()


def attachments(source: Path, workdir: Path, limits: Limits) -> list[Attachment]:
    """Every part of the message at `source` that carries a file name, decoded into `workdir`."""
    found: list[Attachment] = []
    stack: list[bytes | None] = []  # open multiparts (their boundary) and forwarded messages
    with source.open("rb") as handle:
        lines = _Lines(handle)
        headers = _header_block(lines)
        for _ in range(limits.mail_parts):
            if headers.get_content_maintype() == "multipart":
                boundary = headers.get_boundary()
                if boundary is None:
                    raise BadDocument("mail_unreadable", "a multipart part has no boundary")
                _enter(stack, boundary.encode("ascii", "replace"), limits)
                ended = _skip_to_boundary(lines, stack)
            elif headers.get_content_type() == "message/rfc822":
                _enter(stack, None, limits)
                headers = _header_block(lines)  # the forwarded message's own headers
                continue
            else:
                ended = _leaf(lines, headers, stack, workdir, limits, found)
            while ended is not None and ended[1]:  # a closing delimiter: on to the next part
                del stack[ended[0] :]
                ended = _skip_to_boundary(lines, stack)
            if ended is None:
                return found  # the end of the message
            del stack[ended[0] + 1 :]
            headers = _header_block(lines)
    raise BadDocument("mail_too_deep", f"more than {limits.mail_parts} parts")


def _enter(stack: list[bytes | None], boundary: bytes | None, limits: Limits) -> None:
    stack.append(boundary)
    if len(stack) > limits.mail_depth:
        raise BadDocument("mail_too_deep", f"nested more than {limits.mail_depth} levels deep")


def _skip_to_boundary(lines: _Lines, stack: list[bytes | None]) -> tuple[int, bool] | None:
    for line in lines:
        if (found := _boundary_of(line, stack)) is not None:
            return found
    return None


def _leaf(
    lines: _Lines,
    headers: EmailMessage,
    stack: list[bytes | None],
    workdir: Path,
    limits: Limits,
    found: list[Attachment],
) -> tuple[int, bool] | None:
    """Read one leaf part's body (into a file when it is an attachment) up to the next
    delimiter; returns that delimiter, or None at the end of the message."""
    filename = headers.get_filename()
    decoder = None
    if filename:
        encoding = str(headers.get("Content-Transfer-Encoding", "")).strip().lower()
        decoder = _Decoder(workdir / f"part-{len(found)}", encoding, limits.file_bytes)
    ended = None
    try:
        previous: bytes | None = None
        for line in lines:
            if (ended := _boundary_of(line, stack)) is not None:
                break
            if decoder is not None:
                # The line break before a delimiter belongs to the delimiter (RFC 2046).
                if previous is not None:
                    decoder.feed(previous)
                previous = line
        if decoder is not None and previous is not None:
            decoder.feed(previous.rstrip(b"\r\n") if ended is not None else previous)
    finally:
        if decoder is not None:
            decoder.close()
    if decoder is not None and filename:
        found.append(
            Attachment(str(filename), headers.get_content_type(), decoder.path, decoder.size)
        )
    return ended
