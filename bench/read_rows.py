"""Benchmark: importers.pipeline.read_rows over a synthetic 住民記録 file (no database).

    .venv/bin/python bench/read_rows.py                          # 1,000,000 rows, chukan-residents (CP932 CSV)
    .venv/bin/python bench/read_rows.py --rows 200000 --fixed    # chukan-residents-fixed
    .venv/bin/python bench/read_rows.py --file some.csv --layout chukan-residents

The file is written once by importers.synthetic (with 外字 and a few invalid rows) into
``var/bench/`` and reused; writing it is timed too, in a child process, so the reader's peak memory
is measured alone. Prints rows per second of ``read_rows`` (one core, every row fully converted:
check digits, dates, search keys, duplicate check) and the reader process's peak RSS.

Results, 2026-11-24, Linux x86_64 VM, 2 vCPU "Intel Xeon Processor", Python 3.11.7, shared with
other test runs (load average 2-3), 1,000,000 rows, 2% of them with 外字, 10 invalid rows:

    chukan-residents (CP932 CSV, 136 MB)
      write_residents  41 s wall (generate_city(1_000_000) is ~25 s of it)
      read_rows        14.3 s wall, 14.2 s CPU → 69,700 rows/s; peak RSS 227 MB
    chukan-residents-fixed (CP932, 340-byte records, 342 MB)
      read_rows        21.4 s wall, 20.5 s CPU → 46,700 rows/s; peak RSS 229 MB

Peak RSS grows with the file only through the in-file duplicate check (one entry per key) and the
bounded caches of search keys and dates.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}"


def generate(path: Path, rows: int, fixed: bool) -> None:
    from importers.synthetic import write_residents

    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = write_residents(path, rows, seed=1, with_gaiji=True, fixed=fixed, n_invalid=max(1, rows // 100_000))
    elapsed = time.perf_counter() - started
    size = path.stat().st_size / 1e6
    print(
        f"write_residents: {result.rows:,} rows, {size:.0f} MB in {elapsed:.1f} s ({result.rows / elapsed:,.0f} rows/s)"
    )


def read(path: Path, layout_name: str) -> None:
    from importers.layout import load_preset
    from importers.pipeline import read_rows

    layout = load_preset(layout_name)
    started, cpu = time.perf_counter(), time.process_time()
    rows = invalid = issues = 0
    for row in read_rows(path, layout):
        rows += 1
        if row.issues:
            issues += len(row.issues)
            invalid += not row.ok
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"read_rows:       {rows:,} rows in {elapsed:.1f} s wall, {cpu:.1f} s CPU → {rows / elapsed:,.0f} rows/s "
        f"({rows / cpu:,.0f} per CPU second; {invalid} invalid rows, {issues} issues); peak RSS {peak:.0f} MB"
    )
    print(f"load average afterwards: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fixed", action="store_true", help="use the fixed-width preset")
    parser.add_argument("--file", type=Path, help="an existing file to read (no generation)")
    parser.add_argument("--layout", help="preset name (default: chukan-residents[-fixed])")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--_generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    layout = args.layout or ("chukan-residents-fixed" if args.fixed else "chukan-residents")
    path = args.file or ROOT / "var" / "bench" / f"residents-{args.rows}{'-fixed.dat' if args.fixed else '.csv'}"
    if args._generate:
        generate(path, args.rows, args.fixed)
        return
    print(machine())
    if args.file is None and (args.regenerate or not path.exists()):
        command = [sys.executable, __file__, "--rows", str(args.rows), "--_generate"] + (
            ["--fixed"] if args.fixed else []
        )
        subprocess.run(command, check=True)
    read(path, layout)


if __name__ == "__main__":
    main()
