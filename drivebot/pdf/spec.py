"""The stamp's inputs and its outcome, shared by drivebot.stamping and this package's modules.

They live here, not in drivebot.stamping (which re-exports them), so that the package's modules
can use them without importing the public module that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StampSpec:
    watermark: str  # e.g. "SALINAN SAH" (drawn diagonally, light grey, alpha ~0.15)
    qr_payload: str  # the verification URL, ~100-160 chars
    # One or more lines (newline-separated), the last at the bottom, e.g. the authentication
    # line and "HK-2026-0007 · Peraturan Bupati Nomor 12 Tahun 2026 · ..."
    footer: str
    qr_mm: float = 25.0  # QR side incl. quiet zone; >= 25 mm


@dataclass(frozen=True)
class StampResult:
    method: str  # "incremental" or "rewrite" (the fallback), so callers can record it
    pages: int
    original_size: int  # bytes of the input; with "incremental" it is output[:original_size]
