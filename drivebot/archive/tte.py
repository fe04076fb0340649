"""Electronic signatures (TTE, certified by BSrE): is a signed file whole?

drivebot cannot judge whom to trust (the national verifier holds the BSrE roots), so it checks
what it can: the file carries a signature, the signature's digest matches the bytes it covers,
and it covers the whole file (nothing was added after signing). pyHanko reads the signature;
it is a well-kept library for PDF signatures (and the tests sign with it).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def signature_intact(path: Path) -> bool:
    """Whether the PDF's last signature is intact and covers the whole file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        with path.open("rb") as handle:
            signatures = PdfFileReader(handle, strict=False).embedded_signatures
            if not signatures:
                return False
            context = ValidationContext(trust_roots=[], allow_fetching=False)
            status = validate_pdf_signature(signatures[-1], context)
            return bool(status.intact and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    except Exception as exc:  # a file pyHanko cannot read is not a whole signed file
        log.warning("%s: its signature cannot be checked: %s", path.name, exc)
        return False
