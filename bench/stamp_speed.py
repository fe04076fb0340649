"""Benchmark drivebot.stamping.stamp_pdf against `qpdf --overlay` (and pypdf's plain rewrite).

Run: python bench/stamp_speed.py [--runs N]

Generates 10-, 100-, 1000- and 5000-page text documents (embedded TrueType font, JPEGs), a
50-page scanned one and a 200 MB scan (random-noise page images, which do not compress) in a
temporary directory; every text document and the 50-page scan also as Word, LibreOffice and
Acrobat write files, with object streams and an xref stream (`qpdf --object-streams=generate`).
Every measurement runs in a fresh child process, so peak RSS (ru_maxrss) belongs to that run:
  - drivebot: time of stamp_pdf inside the child, imports excluded (a warm worker's cost);
  - drivebot stamp (CLI): wall time of the whole `drivebot stamp` process (interpreter, imports,
    workspace, ledger and signing included) on a fresh copy of an initialised workspace;
  - qpdf: wall time of the whole `qpdf --overlay` process, stamping with an equivalent one-page
    stamp PDF (made by drivebot from a blank page of the same size);
  - pypdf r+w: PdfWriter(clone_from=PdfReader(f)).write(), unchanged, the memory yardstick.
Times are medians over --runs runs, interleaved (fewer for the 5000-page and 200 MB inputs).
The last two lines are the drivebot/qpdf ratios at 1000 pages, object streams first.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pdf_fixtures as fx  # noqa: E402
from PIL import Image  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402

from drivebot.stamping import StampSpec, stamp_pdf  # noqa: E402

SPEC = StampSpec(fx.WATERMARK, fx.PAYLOAD, fx.FOOTER)

# The children print "<seconds inside the process>" as their last stdout line.
# Only drivebot is imported in the child, as in a stamping worker.
DRIVEBOT_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from drivebot.stamping import StampSpec, stamp_pdf
spec = StampSpec(*{spec!r})
start = time.perf_counter()
result = stamp_pdf(Path(sys.argv[1]), Path(sys.argv[2]), spec)
print(result.method)
print(time.perf_counter() - start)
"""

# The same imports as DRIVEBOT_CHILD and nothing else: the baseline for peak memory.
BASELINE_CHILD = """
import sys
sys.path.insert(0, {root!r})
from drivebot.stamping import StampSpec, stamp_pdf
print(0)
"""

PYPDF_CHILD = """
import sys, time
from pypdf import PdfReader, PdfWriter
start = time.perf_counter()
writer = PdfWriter(clone_from=PdfReader(sys.argv[1]))
with open(sys.argv[2], "wb") as handle:
    writer.write(handle)
print(time.perf_counter() - start)
"""


# Peak RSS is read by a small launcher process, not by this one: a child's ru_maxrss starts
# from its parent's RSS at fork time, and this process holds the generated inputs. The
# launcher's own RSS (printed as "launcher floor") is therefore the lowest figure possible.
LAUNCHER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps([done.returncode, wall, peak, done.stdout.decode(), done.stderr.decode()]))
"""


def run_child(argv: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, last stdout line as float, peak RSS in KiB, stdout) of one child run."""
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv], check=True, capture_output=True, text=True
    )
    code, wall, peak, out, err = json.loads(launched.stdout)
    if code != 0:
        raise RuntimeError(f"{argv[0]} failed ({code}): {err[-500:]}")
    lines = out.split()
    try:
        inside = float(lines[-1])
    except (IndexError, ValueError):
        inside = float("nan")
    return wall, inside, peak, out  # ru_maxrss is KiB on Linux


def make_inputs(directory: Path) -> dict[str, dict[str, Path]]:
    """The inputs per table: classic xref tables, and object streams with an xref stream."""
    photos = fx.jpeg_files(directory, count=5)
    classic = {
        "doc10 (F4)": fx.text_pdf(directory / "doc10.pdf", [fx.F4] * 10, images=photos),
        "doc100 (A4)": fx.text_pdf(directory / "doc100.pdf", [A4] * 100, images=photos),
        "doc1000 (A4)": fx.text_pdf(
            directory / "doc1000.pdf", [A4] * 1000, images=photos, lines=30
        ),
        "doc5000 (A4)": fx.text_pdf(
            directory / "doc5000.pdf", [A4] * 5000, images=photos, lines=30
        ),
        "scan50 (A4)": fx.scanned_pdf(directory / "scan50.pdf", pages=50, dpi=200),
    }
    streams = {
        label: fx.with_object_streams(path, directory / f"{path.stem}-objstm.pdf")
        for label, path in classic.items()
    }
    classic["scan200MB (A4)"] = big_scan(directory / "scan200MB.pdf", 200 * 1000 * 1000)
    return {"classic xref": classic, "object streams": streams}


def big_scan(path: Path, size: int, dpi: int = 200) -> Path:
    """A scanner's output of about `size` bytes: one DCT image per page, written as it goes.

    Three random-noise page images (which JPEG cannot shrink: ~2.6 MB each at 200 dpi) repeat
    across the pages, each page with its own copy, so generating 200 MB takes seconds.
    """
    width, height = A4
    px = (round(width / 72 * dpi), round(height / 72 * dpi))
    jpegs = []
    for _ in range(3):
        buffer = io.BytesIO()
        Image.frombytes("L", px, os.urandom(px[0] * px[1])).save(buffer, "JPEG", quality=85)
        jpegs.append(buffer.getvalue())
    pages = max(1, size // len(jpegs[0]))
    offsets: list[int] = []
    with path.open("wb") as out:

        def put(body: bytes) -> None:
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % len(offsets) + body + b"\nendobj\n")

        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        put(b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(pages))
        put(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
        for index in range(pages):
            image, draw = 4 + 3 * index, 5 + 3 * index
            put(
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:g} {height:g}] "
                f"/Resources << /XObject << /Im0 {image} 0 R >> >> "
                f"/Contents {draw} 0 R >>".encode()
            )
            jpeg = jpegs[index % len(jpegs)]
            put(
                f"<< /Type /XObject /Subtype /Image /Width {px[0]} /Height {px[1]} "
                f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode "
                f"/Length {len(jpeg)} >>\nstream\n".encode()
                + jpeg
                + b"\nendstream"
            )
            ops = f"q {width:g} 0 0 {height:g} 0 0 cm /Im0 Do Q".encode()
            put(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(offsets) + 1))
        out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return path


def workspace_template(directory: Path) -> Path:
    """An initialised local workspace, copied afresh for every CLI run (a file is archived
    once; the second run would only say so)."""
    template = directory / "workspace"
    subprocess.run(
        [sys.executable, "-m", "drivebot", "init", str(template)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return template


def overlay_pdf(directory: Path, name: str, size: tuple[float, float]) -> Path:
    """The same stamp as a one-page PDF, for qpdf --overlay."""
    builder = fx.PdfBuilder()
    pages = builder.reserve()
    page = builder.add(
        f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {size[0]:g} {size[1]:g}] >>"
    )
    builder.add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>", pages)
    root = builder.add(f"<< /Type /Catalog /Pages {pages} 0 R >>")
    blank = directory / f"blank-{name}.pdf"
    blank.write_bytes(builder.build(root))
    stamp = directory / f"stamp-{name}.pdf"
    stamp_pdf(blank, stamp, SPEC)
    return stamp


# Fewer runs where one run takes seconds; the spread there is small next to the time.
SLOW_INPUTS = ("doc5000", "scan200MB")
# pypdf's clone and write takes seconds and, on the big scan, 2x the file in memory.
NO_PYPDF = ("doc5000", "scan200MB")
CLI_INPUTS = ("doc1000", "doc5000", "scan50", "scan200MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slow-runs", type=int, default=2, help="runs for 5000 pages, 200 MB")
    args = parser.parse_args()
    python = sys.executable
    spec = (SPEC.watermark, SPEC.qr_payload, SPEC.footer, SPEC.qr_mm)
    child = DRIVEBOT_CHILD.format(root=str(ROOT), spec=spec)
    with tempfile.TemporaryDirectory(prefix="stamp-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        tables = make_inputs(directory)
        template = workspace_template(directory)
        print(f"inputs generated in {time.perf_counter() - started:.1f} s")
        floor = run_child(["true"])[2] / 1024
        print(f"launcher floor (lowest measurable peak RSS): {floor:.1f} MB")
        baseline = max(
            run_child([python, "-c", BASELINE_CHILD.format(root=str(ROOT))])[2] for _ in range(3)
        )
        print(f"interpreter with drivebot.stamping imported: {baseline / 1024:.1f} MB")
        ratios: dict[tuple[str, str], float] = {}
        scan_peak = float("nan")
        for table, inputs in tables.items():
            print(f"\n{table}")
            header = (
                f"{'input':<15}{'pages':>6}{'size MB':>9} | {'tool':<21}{'time s':>8}"
                f"{'wall s':>8}{'peak MB':>9}{'out/in':>8}  note"
            )
            print(header)
            print("-" * len(header))
            for label, source in inputs.items():
                stem = source.stem.removesuffix("-objstm")
                results, peaks = measure(label, source, stem, directory, template, child, args)
                drivebot_qpdf = results["drivebot"] / results["qpdf"]
                line = f"{'':<15}{'':>6}{'':>9} | drivebot/qpdf = {drivebot_qpdf:.2f}"
                if "cli" in results:
                    line += f", drivebot stamp (CLI)/qpdf = {results['cli'] / results['qpdf']:.2f}"
                print(line)
                ratios[(table, stem)] = drivebot_qpdf
                if stem == "scan200MB":
                    scan_peak = (peaks["drivebot"] - baseline) / 1024
        print()
        print("time s: drivebot and pypdf inside the child after imports; qpdf and the CLI whole")
        print("process. peak MB: max RSS of the child (interpreter and imports included).")
        print(f"peak memory above baseline on a 200 MB scan: {scan_peak:.1f} MB")
        print(f"stamp/qpdf ratio at 5000 pages: {ratios[('classic xref', 'doc5000')]:.2f}")
        print(
            "stamp/qpdf ratio at 5000 pages (object streams): "
            f"{ratios[('object streams', 'doc5000')]:.2f}"
        )
        print(f"total bench time {time.perf_counter() - started:.0f} s")
    print(
        "stamp/qpdf ratio at 1000 pages (object streams): "
        f"{ratios[('object streams', 'doc1000')]:.2f}"
    )
    print(f"stamp/qpdf ratio at 1000 pages: {ratios[('classic xref', 'doc1000')]:.2f}")


def measure(
    label: str,
    source: Path,
    stem: str,
    directory: Path,
    template: Path,
    child: str,
    args: argparse.Namespace,
) -> tuple[dict[str, float], dict[str, int]]:
    """Run every tool on one input, print its rows; (time per tool, peak KiB per tool)."""
    python = sys.executable
    size = fx.page_size(source)
    stamp = overlay_pdf(directory, source.stem, size)
    tools = ["drivebot", "qpdf"]
    if stem in CLI_INPUTS:
        tools.insert(1, "cli")
    if stem not in NO_PYPDF:
        tools.append("pypdf")
    out = {tool: directory / f"{source.stem}-{tool}.pdf" for tool in (*tools, "pypdf")}
    workspace = directory / "ws"
    commands = {
        "drivebot": [python, "-c", child, str(source), str(out["drivebot"])],
        "cli": [
            *(python, "-m", "drivebot", "stamp", str(source), "--type", "perbup"),
            *("--number", "1", "--year", "2024", "--title", "Bench", "--workspace", str(workspace)),
        ],
        "qpdf": ["qpdf", str(source), "--overlay", str(stamp), "--", str(out["qpdf"])],
        "pypdf": [python, "-c", PYPDF_CHILD, str(source), str(out["pypdf"])],
    }
    runs = args.slow_runs if stem in SLOW_INPUTS else args.runs
    samples: dict[str, list[tuple[float, float, int, str]]] = {t: [] for t in tools}
    for _ in range(runs):  # interleaved, so drift hits every tool alike
        for tool in tools:
            out[tool].unlink(missing_ok=True)  # every tool writes a new file
            if tool == "cli":
                shutil.rmtree(workspace, ignore_errors=True)
                shutil.copytree(template, workspace)
            samples[tool].append(run_child(commands[tool]))
    pages = fx.page_count(source)
    in_size = source.stat().st_size
    results: dict[str, float] = {}
    peaks: dict[str, int] = {}
    for tool, measured in samples.items():
        wall = statistics.median(r[0] for r in measured)
        inside = (
            statistics.median(r[1] for r in measured) if tool in ("drivebot", "pypdf") else wall
        )
        peaks[tool] = max(r[2] for r in measured)
        note = measured[0][3].split()[0] if tool == "drivebot" else ""
        written = next((workspace / "archive").glob("*.pdf")) if tool == "cli" else out[tool]
        ratio = written.stat().st_size / in_size
        results[tool] = inside
        name = "drivebot stamp (CLI)" if tool == "cli" else tool
        print(
            f"{label:<15}{pages:>6}{in_size / 1e6:>9.2f} | "
            f"{name:<21}{inside:>8.3f}{wall:>8.3f}{peaks[tool] / 1024:>9.1f}{ratio:>8.2f}  {note}"
        )
    return results, peaks


if __name__ == "__main__":
    main()
