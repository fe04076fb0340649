"""Peak memory while drivebot takes in hostile and large inputs, on the local backend.

The inputs are made first, in this process, and written to files. Each case then runs in a
fresh process: a workspace is set up and an idle cycle runs, the input file is copied into the
OPD's folder (or the inbox Maildir) by the file system, and one cycle takes it in. The figure is
that process's peak resident memory (VmHWM) above the idle footprint of the same setup,
measured in a twin process that takes nothing in. For the e-mails the standard
library's parser is measured on the same message, for comparison. Run:
    python bench/intake_memory.py
Last line: `intake peak memory / message size at 40 MB: X` (goal X <= 3).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

MB = 1 << 20
CASES = ("docx_bomb", "docx_lying_bomb", "pdf_stream_bomb", "deep_forward", "attachment_40mb")


def _peak() -> int:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries that over
    from the process that forked this one, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _large_draft(megabytes: int) -> bytes:
    """A real draft carrying a scan-like image part that does not compress."""
    import io
    import random
    import zipfile

    import corpus

    entries = corpus._entries(corpus.docx(1))
    noise = random.Random(7).randbytes(megabytes * MB)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, data in [*entries, ("word/media/scan1.jpeg", noise)]:
            package.writestr(name, data)
    return buffer.getvalue()


def _input(case: str) -> tuple[str, bytes]:
    """("drop" or "mail", the bytes)."""
    import corpus

    if case == "docx_bomb":
        return "drop", corpus.docx_bomb(1)
    if case == "docx_lying_bomb":
        return "drop", corpus.docx_lying_bomb(1)
    if case == "pdf_stream_bomb":
        return "drop", corpus.pdf("x", content=b"0 0 m " * (180 * MB // 6))
    if case == "deep_forward":
        return "mail", corpus.nested_forward(50_000, corpus.email("x", []))
    return "mail", corpus.email("Ranperbup besar", [("Ranperbup besar.docx", _large_draft(40))])


def _workspace() -> tuple[Path, object]:
    from builders import write_config

    from drivebot import bootstrap
    from drivebot.config import load

    workspace = Path(tempfile.mkdtemp(prefix="drivebot-bench-"))
    write_config(workspace, max_attachment_mb=64)
    app = bootstrap.app(load(workspace))
    app.drive.ensure_folders([opd.folder for opd in app.config.opds])
    app.cycle()  # the first, idle cycle: everything a daemon holds is loaded
    return workspace, app


def child(case: str, kind: str, source: Path) -> None:
    """Take in the input at `source` (copied into place by the file system, never read into
    this process's memory by the bench itself)."""
    workspace, app = _workspace()
    if kind == "drop":
        shutil.copyfile(source, workspace / "drive" / "00 Masuk" / "Dinas Kesehatan" / "a.docx")
    else:
        shutil.copyfile(source, workspace / "mail" / "inbox" / "new" / "1.bench")
    app.cycle()  # type: ignore[attr-defined]
    report = {
        "case": case,
        "kind": kind,
        "size": source.stat().st_size,
        "peak": _peak(),
        "drafts": len(app.store.drafts()),
    }  # type: ignore[attr-defined]
    if kind == "mail" and case == "attachment_40mb":
        report["stdlib_peak"] = _stdlib_peak(workspace)
    print(json.dumps(report))


def _stdlib_peak(workspace: Path) -> int:
    """What the standard library's parser alone takes for the same message, in a fresh
    process (its peak above that process's start)."""
    [message] = [p for p in (workspace / "mail" / "processed").rglob("*") if p.is_file()]
    code = (
        "import sys,re;from email import message_from_bytes,policy;"
        "hwm=lambda:int(re.search(r'VmHWM:\\s+(\\d+)',open('/proc/self/status').read())[1]);"
        "b=hwm();m=message_from_bytes(open(sys.argv[1],'rb').read(),policy=policy.default);"
        "[p.get_content() for p in m.iter_attachments()];print((hwm()-b)*1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(message)], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def idle() -> None:
    """The footprint of a daemon that has run idle cycles on a fresh workspace."""
    workspace, app = _workspace()
    app.cycle()  # type: ignore[attr-defined]
    print(json.dumps({"peak": _peak()}))
    shutil.rmtree(workspace, ignore_errors=True)


def _run(*args: str) -> dict[str, int | str]:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    inputs = Path(tempfile.mkdtemp(prefix="drivebot-bench-inputs-"))
    base = int(_run("--idle")["peak"])
    print(f"idle daemon footprint: {base / MB:.0f} MB")
    print(f"{'case':<18} {'input':>10} {'peak above idle':>16} {'ratio':>7} {'drafts':>7}")
    ratio_40 = None
    for case in CASES:
        kind, data = _input(case)
        (inputs / case).write_bytes(data)
        del data
        report = _run("--case", case, kind, str(inputs / case))
        (inputs / case).unlink()
        size, peak = int(report["size"]), int(report["peak"])
        above = max(peak - base, 0)
        ratio = above / size
        print(
            f"{case:<18} {size / MB:>8.1f}MB {above / MB:>14.1f}MB {ratio:>7.2f} "
            f"{report['drafts']:>7}"
        )
        if case == "attachment_40mb":
            ratio_40 = ratio
            stdlib = int(report["stdlib_peak"])
            print(
                f"{'':<18} the standard library's parser alone: {stdlib / MB:.0f} MB "
                f"({stdlib / size:.1f}x the message)"
            )
    shutil.rmtree(inputs, ignore_errors=True)
    print(f"intake peak memory / message size at 40 MB: {ratio_40:.2f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    elif sys.argv[1:2] == ["--idle"]:
        idle()
    else:
        main()
