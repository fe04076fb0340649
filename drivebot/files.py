"""Small file helpers every part uses: checksums, copies that appear whole or not at all, and
the workspace's own secret keys."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from pathlib import Path

from drivebot.errors import ConfigError
from drivebot.naming import fit

KEY_BYTES = 32


def sha256_of(path: Path, limit: int | None = None) -> str:
    """SHA-256 of the file, or of its first `limit` bytes (the original inside a stamped file)."""
    digest = hashlib.sha256()
    remaining = limit if limit is not None else path.stat().st_size
    with path.open("rb") as handle:
        while remaining > 0 and (chunk := handle.read(min(remaining, 1 << 20))):
            digest.update(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def is_partial(name: str) -> bool:
    """Whether this is the name of a file `copy_whole` is writing (or a killed one left)."""
    return name.startswith(".") and name.endswith(".part")


def remove_partials(directory: Path) -> int:
    """Remove the partial files a killed copy left anywhere under `directory`; how many."""
    removed = 0
    for path in directory.rglob(".*.part") if directory.is_dir() else ():
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def copy_whole(source: Path, target: Path) -> None:
    """Copy through a partial file and a rename, so `target` never exists half written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{fit(target.name, 240)}.part")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def stored_path(sha: str, suffix: str) -> str:
    """Where the workspace's version store keeps these bytes (content-addressed), relative to
    the workspace: "versions/ab/ab12....pdf"."""
    return str(Path("versions") / sha[:2] / f"{sha}{suffix}")


def workspace_key(workspace: Path, name: str) -> bytes:
    """The secret key kept in the workspace file `name` (readable by its owner only), made on
    first use. Written whole under another name, then linked: two processes starting at once,
    or a crash, never leave a short key behind; a damaged one is refused, not used."""
    path = workspace / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        spare = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        with os.fdopen(os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(spare, path)
        spare.unlink()
    key = path.read_bytes()
    if len(key) < KEY_BYTES:
        raise ConfigError("key_short", path=path)
    return key
