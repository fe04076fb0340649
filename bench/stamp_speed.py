"""Benchmark drivebot.stamping.stamp_pdf against `qpdf --overlay` (and pypdf's plain rewrite).

Run: python bench/stamp_speed.py [--runs N]

Generates 10-, 100- and 1000-page text documents (embedded TrueType font, JPEGs) and a 50-page
scanned one in a temporary directory. Every measurement runs in a fresh child process, so peak
RSS (from os.wait4) belongs to that one run:
  - drivebot: time of stamp_pdf inside the child, imports excluded (a warm worker's cost);
  - qpdf: wall time of the whole `qpdf --overlay` process, stamping with an equivalent one-page
    stamp PDF (made by drivebot from a blank page of the same size);
  - pypdf r+w: PdfWriter(clone_from=PdfReader(f)).write(), unchanged, the memory yardstick.
Times are medians over --runs runs, interleaved. The last line is the drivebot/qpdf ratio at
1000 pages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pdf_fixtures as fx  # noqa: E402
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


def make_inputs(directory: Path) -> dict[str, Path]:
    photos = fx.jpeg_files(directory, count=5)
    docs = {
        "doc10 (F4)": fx.text_pdf(directory / "doc10.pdf", [fx.F4] * 10, images=photos),
        "doc100 (A4)": fx.text_pdf(directory / "doc100.pdf", [A4] * 100, images=photos),
        "doc1000 (A4)": fx.text_pdf(
            directory / "doc1000.pdf", [A4] * 1000, images=photos, lines=30
        ),
        "scan50 (A4)": fx.scanned_pdf(directory / "scan50.pdf", pages=50, dpi=200),
    }
    return docs


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    child = DRIVEBOT_CHILD.format(
        root=str(ROOT), spec=(SPEC.watermark, SPEC.qr_payload, SPEC.footer, SPEC.qr_mm)
    )
    with tempfile.TemporaryDirectory(prefix="stamp-bench-") as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        inputs = make_inputs(directory)
        print(f"inputs generated in {time.perf_counter() - started:.1f} s")
        floor = run_child(["true"])[2] / 1024
        print(f"launcher floor (lowest measurable peak RSS): {floor:.1f} MB")
        header = (
            f"{'input':<14}{'pages':>6}{'size MB':>9} | {'tool':<15}{'time s':>8}"
            f"{'wall s':>8}{'peak MB':>9}{'out/in':>8}  note"
        )
        print(header)
        print("-" * len(header))
        ratio_1000 = float("nan")
        for label, source in inputs.items():
            size = fx.page_size(source)
            stamp = overlay_pdf(directory, source.stem, size)
            out = {
                tool: directory / f"{source.stem}-{tool}.pdf"
                for tool in ("drivebot", "qpdf", "pypdf")
            }
            commands = {
                "drivebot": [python, "-c", child, str(source), str(out["drivebot"])],
                "qpdf": ["qpdf", str(source), "--overlay", str(stamp), "--", str(out["qpdf"])],
                "pypdf": [python, "-c", PYPDF_CHILD, str(source), str(out["pypdf"])],
            }
            samples: dict[str, list[tuple[float, float, int, str]]] = {t: [] for t in commands}
            for _ in range(args.runs):  # interleaved, so drift hits every tool alike
                for tool, argv in commands.items():
                    out[tool].unlink(missing_ok=True)  # every tool writes a new file
                    samples[tool].append(run_child(argv))
            pages = fx.page_count(source)
            in_size = source.stat().st_size
            results = {}
            for tool, runs in samples.items():
                wall = statistics.median(r[0] for r in runs)
                inside = statistics.median(r[1] for r in runs) if tool != "qpdf" else wall
                peak = max(r[2] for r in runs) / 1024
                note = runs[0][3].split()[0] if tool == "drivebot" else ""
                ratio = out[tool].stat().st_size / in_size
                results[tool] = inside
                print(
                    f"{label:<14}{pages:>6}{in_size / 1e6:>9.2f} | {tool:<15}{inside:>8.3f}"
                    f"{wall:>8.3f}{peak:>9.1f}{ratio:>8.2f}  {note}"
                )
            print(
                f"{'':<14}{'':>6}{'':>9} | drivebot/qpdf = "
                f"{results['drivebot'] / results['qpdf']:.2f}"
            )
            if source.stem == "doc1000":
                ratio_1000 = results["drivebot"] / results["qpdf"]
        print("time s: drivebot and pypdf inside the child after imports; qpdf whole process.")
        print("peak MB: max RSS of the child (interpreter and imports included for Python).")
        print(f"total bench time {time.perf_counter() - started:.0f} s")
    print(f"stamp/qpdf ratio at 1000 pages: {ratio_1000:.2f}")


if __name__ == "__main__":
    main()
