"""The limits every check applies, decided before reading: a hostile input cannot make
drivebot read, inflate or parse more than these."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 25 * MB  # a file as sent (max_attachment_mb)
    part_bytes: int = 100 * MB  # one part of a .docx, inflated
    package_bytes: int = 200 * MB  # all parts of a .docx together, inflated
    ratio: int = 200  # inflated / compressed, for a part that inflates past RATIO_FLOOR
    ratio_floor: int = 10 * MB  # small parts may compress as well as they like
    pdf_stream_bytes: int = 32 * MB  # one PDF content stream, inflated to read its text
    mail_depth: int = 30  # multipart and message/rfc822 levels in one e-mail
    mail_parts: int = 500  # parts in one e-mail

    @classmethod
    def for_files_up_to(cls, file_bytes: int) -> Limits:
        return cls(file_bytes=file_bytes)
