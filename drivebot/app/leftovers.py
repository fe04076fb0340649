"""What a killed run leaves behind, and where its temporary files go.

The daemon's temporary files (downloads, conversions, attachments being read) live in the
workspace's `.tmp`, not in /tmp: they are on the workspace's own disk (a 40 MB attachment does
not fill a RAM-backed /tmp, and a rename into the version store stays on one file system), and
what a killed run left there belongs to this workspace alone, so it can be emptied without
touching another program's files. It is emptied when a process first holds the workspace
lock: whoever held it before is gone or finished, and nothing else writes there.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from drivebot.files import remove_partials

SCRATCH = ".tmp"


@contextmanager
def temporary_files_in(workspace: Path) -> Iterator[Path]:
    """The process's temporary files go to the workspace's `.tmp` for the block (the CLI's
    `run` and `once`; tests calling them in one process get /tmp back afterwards)."""
    scratch = workspace / SCRATCH
    scratch.mkdir(exist_ok=True)
    before, tempfile.tempdir = tempfile.tempdir, str(scratch)
    try:
        yield scratch
    finally:
        tempfile.tempdir = before


def clear_scratch(workspace: Path) -> int:
    """Empty `.tmp` and remove half-copied files from the version store; how many entries.
    Call it holding the workspace lock."""
    removed = 0
    scratch = workspace / SCRATCH
    for entry in scratch.iterdir() if scratch.is_dir() else ():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed + remove_partials(workspace / "versions")
