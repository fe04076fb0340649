"""The QR matrix, with the standard's lowest-penalty mask chosen faster than qrcode does it.

qrcode's own `make()` builds the symbol nine times and scores eight masks module by module in
Python: about 9 ms per document, a sixth of stamping a 1000-page file. Here qrcode still does
everything that defines the symbol (version, data and error-correction codewords, placement,
the format and version bits), and only the choice of mask, and the masking, are computed
differently: each candidate is
derived from one build by XOR on whole rows, and scored with regular expressions and integer
bit operations. The score is qrcode's `util.lost_point` exactly (same test matrix, same rules,
same tie-break: the lowest mask number wins), so the matrix is identical to qrcode's; a test
compares the two over many payloads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

import qrcode
from qrcode.main import copy_2d_array, precomputed_qr_blanks
from qrcode.util import mask_func

# Runs of five or more modules of one colour (rule 1), and the 1:1:3:1:1 finder-like core
# that rule 3 counts once per side with four light modules (see _finder_like).
_RUNS = re.compile(rb"0{5,}|1{5,}")
_FINDER_CORE, _LIGHT_SIDE = b"1011101", b"0000"
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")

# Every mask function repeats after 12 rows and 6 columns (periods 2, 3, 4 and 6).
_ROW_PERIOD, _COLUMN_PERIOD = 12, 6


def qr_matrix(payload: str) -> list[list[bool]]:
    """QR modules including the 4-module quiet zone; ECC M balances size against damage."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(payload)
    code.best_fit(start=code.version)  # what make(fit=True) does before choosing the mask
    mask, data = best_mask(code)
    # The final symbol: the function patterns with the chosen mask's format (and version)
    # bits, qrcode's own; the data region from the chosen candidate (qrcode's second build,
    # which would place and mask every module again, gives the same bits).
    n = code.modules_count
    code.modules = copy_2d_array(precomputed_qr_blanks[code.version])
    code.setup_type_info(False, mask)
    if code.version >= 7:
        code.setup_type_number(False)
    code.modules = [
        [bool(data[r] >> (n - 1 - c) & 1) if m is None else bool(m) for c, m in enumerate(row)]
        for r, row in enumerate(code.modules)
    ]
    return code.get_matrix()


def best_mask(code: qrcode.QRCode) -> tuple[int, list[int]]:
    """The mask qrcode's best_mask_pattern() would pick for `code` (version already fitted),
    and the symbol's rows with it (as integers, see _bits)."""
    # The data region: what the blank symbol and the (test) format and version bits leave free.
    code.makeImpl(True, 0)  # also caches the blank symbol and the codewords
    masked = code.modules
    code.modules = copy_2d_array(precomputed_qr_blanks[code.version])
    code.setup_type_info(True, 0)
    if code.version >= 7:
        code.setup_type_number(True)
    n = code.modules_count
    full = (1 << n) - 1
    region = [_bits([m is None for m in row]) for row in code.modules]
    # The test symbol with mask 0 taken off the data region: every candidate is one XOR away.
    patterns = [_mask_rows(pattern, n) for pattern in range(8)]
    unmasked = [_bits(row) ^ (region[r] & patterns[0][r]) for r, row in enumerate(masked)]
    best: tuple[int, list[int]] = (0, [])
    lowest = -1
    for pattern in range(8):
        rows = [row ^ (region[r] & patterns[pattern][r]) for r, row in enumerate(unmasked)]
        penalty = _penalty(rows, n, full)
        if lowest < 0 or penalty < lowest:
            best, lowest = (pattern, rows), penalty
    return best


def _bits(modules: Iterable[object]) -> int:
    """A row as an integer, column 0 as the most significant of its n bits."""
    return int(bytes(map(bool, modules)).translate(_DIGITS) or b"0", 2)


def _mask_rows(pattern: int, n: int) -> list[int]:
    """Per row, the columns the mask flips, from one period of the mask function."""
    flips = mask_func(pattern)
    rows = []
    for i in range(_ROW_PERIOD):
        period = "".join("1" if flips(i, j) else "0" for j in range(_COLUMN_PERIOD))
        rows.append(int((period * (n // _COLUMN_PERIOD + 1))[:n], 2))
    return [rows[i % _ROW_PERIOD] for i in range(n)]


def _penalty(rows: list[int], n: int, full: int) -> int:
    """util.lost_point of the symbol whose rows are `rows`, computed row-wise."""
    lines = [format(row, f"0{n}b").encode() for row in rows]
    columns = [bytes(column) for column in zip(*lines, strict=True)]
    # "2" separates lines, so no run or pattern crosses from one line into the next.
    text = b"2".join(lines) + b"2" + b"2".join(columns)
    runs = _RUNS.findall(text)
    penalty = sum(len(run) for run in runs) - 2 * len(runs)
    # Rule 2: 3 per 2x2 block of one colour; bit c of `same` says columns c and c+1 agree.
    pair = full >> 1
    for upper, lower in pairwise(rows):
        vertical = ~(upper ^ lower) & full
        same = vertical & (vertical >> 1) & ~(upper ^ (upper >> 1)) & pair
        penalty += 3 * same.bit_count()
    penalty += 40 * _finder_like(text)
    # Rule 4 with qrcode's own float arithmetic, so rounding cannot differ.
    dark = sum(row.bit_count() for row in rows)
    percent = float(dark) / (n**2)
    return penalty + int(abs(percent * 100 - 50) / 5) * 10


def _finder_like(text: bytes) -> int:
    """How many times qrcode's rule 3 patterns (10111010000 and 00001011101) occur, overlapping:
    each occurrence of the core 1011101 counts once per side that has four light modules
    (a search for the rare core is faster than trying both patterns at every position)."""
    count = 0
    at = text.find(_FINDER_CORE)
    while at >= 0:
        count += text[max(at - 4, 0) : at] == _LIGHT_SIDE
        count += text[at + 7 : at + 11] == _LIGHT_SIDE
        at = text.find(_FINDER_CORE, at + 1)
    return count


def qr_content(matrix: list[list[bool]]) -> bytes:
    """Vector QR in module units: an opaque white square, then one rectangle per dark run.

    All runs go into a single path filled once, so renderers show no seams between rows, and
    the white square keeps scanned page content out of the quiet zone.
    """
    n = len(matrix)
    parts = [f"1 g 0 0 {n} {n} re f 0 g"]
    for row_index, row in enumerate(matrix):
        y = n - 1 - row_index
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"{start} {y} {x - start} 1 re")
            else:
                x += 1
    parts.append("f")
    return "\n".join(parts).encode("ascii")
