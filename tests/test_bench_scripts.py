"""Every benchmark script still loads: its imports resolve (the scripts are run by hand, so
nothing else would notice a module that moved)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_the_script_loads(script):
    namespace = runpy.run_path(str(BENCH / script), run_name="bench_import")  # not __main__
    assert callable(namespace.get("main"))
