"""Benchmark: import N residents from a CP932 CSV (preset chukan-residents) into SQLite and PostgreSQL.

    .venv/bin/python bench/import_residents.py --rows 1000000 [--backends sqlite,postgres]

For each backend, in a fresh migrated database:
  1. first import of the whole file (what a municipality does once);
  2. the database's own bulk load of the same rows, prepared beforehand (SQLite ``executemany`` of
     tuples, PostgreSQL ``COPY`` of a UTF-8 CSV) into an empty copy of the resident table: the floor;
  3. a diff re-import of the same city with 1% of the people changed (moved, died, renamed);
  4. the same file again (nothing changes).
Each import runs in its own child process, so its peak memory (max RSS) is its own.
Results are printed as a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CODE = "992011"


def make_files(rows: int) -> tuple[Path, Path]:
    """The city's CP932 extract, and a newer one with 1% of the people changed."""
    from importers.synthetic import write_residents

    OUT.mkdir(parents=True, exist_ok=True)
    first, newer = OUT / f"residents-{rows}.csv", OUT / f"residents-{rows}-newer.csv"
    if not first.exists():
        started = time.perf_counter()
        write_residents(first, rows, seed=11, with_gaiji=True)
        print(f"wrote {first.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if not newer.exists():
        rng = random.Random(5)
        with first.open(encoding="cp932", newline="") as src, newer.open("w", encoding="cp932", newline="") as dst:
            reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\r\n")
            header = next(reader)
            writer.writerow(header)
            address, status = header.index("住所"), header.index("住民状態")
            name = header.index("氏名")
            for row in reader:
                if rng.random() < 0.01:
                    kind = rng.randrange(3)
                    if kind == 0:
                        row[address] = row[address].replace("番", "番地", 1) + "（転居）"
                    elif kind == 1:
                        row[status] = "3"  # 死亡
                    else:
                        row[name] = row[name] + "子"
                writer.writerow(row)
    return first, newer


def new_database(backend: str) -> str:
    from victim_support.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{OUT / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    else:
        from sqlalchemy import create_engine, text

        name = f"vs_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    from sqlmodel import Session

    from core.tenancy import add_municipality
    from victim_support.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        add_municipality(session, CODE, "見本市", "架空県")
        session.commit()
    engine.dispose()
    return url


def drop_database(backend: str, url: str) -> None:
    if backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


# ---------------------------------------------------------------- child processes


def child_import(url: str, path: str) -> dict:
    from sqlmodel import Session

    from core.tenancy import get_by_code
    from importers.layout import load_preset
    from ledgers.registry.imports import import_file
    from victim_support.db import make_engine

    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        started = time.perf_counter()
        outcome = import_file(
            session,
            get_by_code(session, CODE),
            "residents",
            Path(path),
            load_preset("chukan-residents"),
            on_error="skip",
        )
        seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "status": outcome.status, "counts": outcome.counts, "timings": outcome.timings}


def child_native(url: str, path: str) -> dict:
    """The database's own bulk load of the same rows, prepared (parsed, converted) before the clock starts."""
    from core.clock import utcnow
    from importers.layout import load_preset
    from importers.pipeline import read_rows
    from ledgers.registry.import_reader import SHAPES
    from victim_support.db import make_engine

    rows = [
        SHAPES["residents"].to_columns(r.values, CODE)
        for r in read_rows(Path(path), load_preset("chukan-residents"))
        if r.ok
    ]
    now = utcnow()
    columns = list(rows[0].keys()) + ["municipality_id", "row_hash", "created_at", "updated_at"]
    engine = make_engine(url)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        if engine.dialect.name == "postgresql":
            prepared = OUT / "native.csv"
            with prepared.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                for row in rows:
                    writer.writerow(
                        [
                            json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else ("\\N" if v is None else v)
                            for v in row.values()
                        ]
                        + [1, 0, now.isoformat(), now.isoformat()]
                    )
            del rows
            cursor = raw.cursor()
            cursor.execute("CREATE TABLE resident_native (LIKE resident INCLUDING ALL)")
            raw.commit()
            names = ", ".join(columns)
            started = time.perf_counter()
            with (
                prepared.open("rb") as handle,
                cursor.copy(f"COPY resident_native ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
            ):
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    copy.write(chunk)
            raw.commit()
            seconds = time.perf_counter() - started
            prepared.unlink()
        else:
            sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'resident'").fetchone()[0]
            raw.execute(sql.replace('"resident"', "resident", 1).replace("TABLE resident", "TABLE resident_native", 1))
            for (index_sql,) in raw.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name='resident' AND type='index' AND sql IS NOT NULL"
            ).fetchall():
                raw.execute(
                    index_sql.replace('"resident"', "resident")
                    .replace(" ON resident ", " ON resident_native ")
                    .replace("INDEX ix_", "INDEX nx_")
                    .replace('INDEX "ix_', 'INDEX "nx_')
                )
            stamp = now.replace(tzinfo=None).isoformat(sep=" ")
            tuples = [
                tuple(
                    json.dumps(v, ensure_ascii=False)
                    if isinstance(v, dict)
                    else (v.isoformat() if hasattr(v, "isoformat") else v)
                    for v in row.values()
                )
                + (1, 0, stamp, stamp)
                for row in rows
            ]
            del rows
            marks = ", ".join("?" for _ in columns)
            started = time.perf_counter()
            raw.execute("BEGIN")
            raw.executemany(f"INSERT INTO resident_native ({', '.join(columns)}) VALUES ({marks})", tuples)
            raw.execute("COMMIT")
            seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds}


def run_child(kind: str, url: str, path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, url, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    import victim_support.models  # noqa: F401  (every table in the metadata)

    if args.child:
        kind, url, path = args.child
        result = (child_import if kind == "import" else child_native)(url, path)
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        result["max_rss_mb"] = own.ru_maxrss / 1024
        # the import's reader processes (import_reader.read_batches): the largest one's peak, their CPU time
        result["reader_rss_mb"] = children.ru_maxrss / 1024
        result["cpu_seconds"] = {
            "importer": round(own.ru_utime + own.ru_stime, 1),
            "readers": round(children.ru_utime + children.ru_stime, 1),
        }
        print(json.dumps(result))
        return
    first, newer = make_files(args.rows)
    print("| backend | step | rows | seconds | peak RSS importer + reader (MB) | counts |")
    print("|---|---|---|---|---|---|")
    for backend in args.backends.split(","):
        url = new_database(backend)
        try:
            steps = [
                ("first import", "import", first),
                ("native bulk load (floor)", "native", first),
                ("diff re-import, 1% changed", "import", newer),
                ("same file again", "import", newer),
            ]
            for label, kind, path in steps:
                result = run_child(kind, url, path)
                counts = result.get("counts", {})
                shown = {k: counts[k] for k in ("added", "changed", "unchanged", "removed", "invalid") if k in counts}
                print(
                    f"| {backend} | {label} | {args.rows:,} | {result['seconds']:.1f} | "
                    f"{result['max_rss_mb']:.0f} + {result['reader_rss_mb']:.0f} | {shown} |",
                    flush=True,
                )
                if result.get("timings"):
                    print(f"<!-- phases: {result['timings']} -->", flush=True)
        finally:
            drop_database(backend, url)
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
