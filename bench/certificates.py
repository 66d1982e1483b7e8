"""Benchmark: certificate issuance (罹災証明書) on PostgreSQL (or SQLite).

    .venv/bin/python bench/certificates.py                       # 10,000 bulk + 20 counters, PostgreSQL
    .venv/bin/python bench/certificates.py --households 2000 --counters 10 --rounds 5
    .venv/bin/python bench/certificates.py --database sqlite

1. Bulk: a synthetic town with N victim households (each in a surveyed dwelling) gets
   ``bulk_apply`` + ``bulk_issue`` (gapless numbers, one transaction) and the PDFs of all of them
   (``render_batch`` in batches of 500 over --workers processes). Target: 10,000 in <= 60 s on 2 cores.
2. Counter: the real app (uvicorn, --app-workers processes) and C concurrent counters, each
   doing find (GET /counter?q=kana) + open household + issue (POST) + PDF (GET), R rounds each.
   The counters work on a disaster of --counter-households victim households (default 5,000, a
   town-sized response; the people served are drawn at random from all of it), in the same
   municipality as the bulk disaster. Reports p50 / p95 / max of one whole issuance. Target:
   p95 <= 300 ms with 20 counters on PostgreSQL.
   --think S makes each counter pause 0..2S seconds between people (0 = back-to-back, which
   saturates the machine and measures throughput rather than latency).

    .venv/bin/python bench/certificates.py --skip-bulk --counter-households 5000 --counters 20 --rounds 10 --think 5

Setup (loading the town) is not timed. A throw-away database is created and dropped.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, select, text
from sqlmodel import Session

from core.addresses import address_key
from core.tenancy import add_municipality
from core.text import kana_key, name_key
from importers.synthetic_city import generate_city
from ledgers.certificates import render_batch
from ledgers.certificates import services as certificates
from ledgers.certificates.pdf import sample_seal_png
from ledgers.damage import classify_ratio, rules_for
from ledgers.disasters.models import Disaster
from ledgers.disasters.services import DisasterInput, add_disaster
from ledgers.households.models import VictimHousehold, VictimMember
from ledgers.registry.models import Dwelling, Occupancy, RegisteredHousehold, Resident
from ledgers.surveys.models import Survey
from victim_support.accounts import services as accounts
from victim_support.db import make_engine
from victim_support.migrate import upgrade

PASSWORD = "bench-password-42"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def new_database(kind: str, admin_url: str) -> tuple[str, callable]:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"vs_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def load_town(engine, households_wanted: int):
    """Register, dwellings, occupancy, a user; bulk inserts (setup, not timed)."""
    city = generate_city(int(households_wanted * 2.9) + 50, seed=11)
    with Session(engine) as db:
        municipality = add_municipality(db, "992011", "見本市", "架空県")
        db.commit()
        mid = municipality.id
        db.execute(
            insert(RegisteredHousehold),
            [
                {
                    "municipality_id": mid,
                    "household_no": h["household_no"],
                    "address": h["address"],
                    "address_key": address_key(h["address"]),
                    "postal_code": h.get("postal_code") or "",
                    "householder_name": h["householder_name"],
                }
                for h in city.households
            ],
        )
        db.execute(
            insert(Resident),
            [
                {
                    "municipality_id": mid,
                    "atena_no": r["atena_no"],
                    "household_no": r["household_no"],
                    "name": r["name"],
                    "name_kana": r["name_kana"],
                    "name_key": name_key(r["name"]),
                    "kana_key": kana_key(r["name_kana"]),
                    "birth_date": r["birth_date"],
                    "birth_date_raw": r["birth_date_raw"],
                    "sex": r["sex"],
                    "relationship": r["relationship"],
                    "is_householder": r["is_householder"],
                    "address": r["address"],
                    "address_key": address_key(r["address"]),
                    "status": r["status"],
                    "extra": {},
                }
                for r in city.residents
            ],
        )
        db.execute(
            insert(Dwelling),
            [
                {
                    "municipality_id": mid,
                    "house_no": d["house_no"],
                    "location": d["location"],
                    "location_key": address_key(d["location"]),
                    "structure": d["structure"],
                    "floors": d["floors"],
                    "floor_area": d["floor_area"],
                    "owner_atena_no": d["owner_atena_no"] or "",
                    "co_owner_atena_nos": [],
                    "extra": {},
                }
                for d in city.dwellings
            ],
        )
        ids = dict(db.execute(select(Dwelling.house_no, Dwelling.id).where(Dwelling.municipality_id == mid)).all())
        db.execute(
            insert(Occupancy),
            [
                {"municipality_id": mid, "household_no": no, "dwelling_id": ids[d["house_no"]], "source": "bench"}
                for d in city.dwellings
                for no in d["household_nos"]
            ],
        )
        user = accounts.create_user(db, "bench-staff", PASSWORD, "試験 職員", municipality)
        accounts.add_grant(db, user, "staff", municipality)
        certificates.save_issuer(db, mid, "見本市", "見本　太郎", seal_png=sample_seal_png(240))
        db.commit()
    return mid, city, ids


def make_disaster_with_households(engine, mid, city, dwelling_ids, number, count):
    """A disaster whose first ``count`` 世帯 are victim households, every dwelling surveyed."""
    members = {}
    for r in city.residents:
        members.setdefault(r["household_no"], []).append(r)
    with Session(engine) as db:
        disaster = add_disaster(
            db,
            mid,
            DisasterInput(name="令和8年見本地震", kind="earthquake", occurred_on=date(2026, 11, 20), number=number),
        )
        db.commit()
        chosen = [h for h in city.households if h["household_no"] in members][:count]
        dwellings_of = {}
        for d in city.dwellings:
            for no in d["household_nos"]:
                dwellings_of.setdefault(no, []).append(d)
        rows = []
        for i, h in enumerate(chosen, start=1):
            head = next((r for r in members[h["household_no"]] if r["is_householder"]), members[h["household_no"]][0])
            rows.append(
                {
                    "municipality_id": mid,
                    "disaster_id": disaster.id,
                    "victim_no": i,
                    "source_household_no": h["household_no"],
                    "status": "registered",
                    "head_name": head["name"],
                    "head_kana": head["name_kana"],
                    "address": h["address"],
                    "address_key": address_key(h["address"]),
                    "residence": "",
                    "contact_phone": "",
                    "contact_address": "",
                    "notes": "",
                    "basic_snapshot": {
                        "source": "resident_register",
                        "household_no": h["household_no"],
                        "dwellings": [
                            {"house_no": d["house_no"], "location": d["location"]}
                            for d in dwellings_of.get(h["household_no"], [])
                        ],
                    },
                }
            )
        db.execute(insert(VictimHousehold), rows)
        db.execute(text("UPDATE disaster SET last_victim_no = :n WHERE id = :id"), {"n": len(rows), "id": disaster.id})
        hids = dict(
            db.execute(
                select(VictimHousehold.source_household_no, VictimHousehold.id).where(
                    VictimHousehold.disaster_id == disaster.id
                )
            ).all()
        )
        db.execute(
            insert(VictimMember),
            [
                {
                    "household_id": hids[h["household_no"]],
                    "municipality_id": mid,
                    "atena_no": r["atena_no"],
                    "name": r["name"],
                    "name_kana": r["name_kana"],
                    "name_key": name_key(r["name"]),
                    "kana_key": kana_key(r["name_kana"]),
                    "is_householder": r["is_householder"],
                    "address": r["address"],
                    "basic_snapshot": {},
                    "sort_order": k,
                }
                for h in chosen
                for k, r in enumerate(members[h["household_no"]])
            ],
        )
        ruleset = rules_for(date(2026, 11, 20))
        surveyed = {d["house_no"] for h in chosen for d in dwellings_of.get(h["household_no"], [])}
        surveys = []
        for k, house_no in enumerate(sorted(surveyed)):
            judged = classify_ratio(ruleset, (k * 7) % 61)
            surveys.append(
                {
                    "municipality_id": mid,
                    "disaster_id": disaster.id,
                    "dwelling_id": dwelling_ids[house_no],
                    "kind": "first",
                    "surveyed_on": date(2026, 11, 22),
                    "surveyors": "調査 一郎",
                    "team": "第1班",
                    "basis": "ratio",
                    "inputs": {"ratio": str((k * 7) % 61)},
                    "damage_class": judged.damage_class,
                    "damage_label": judged.label,
                    "rule_version": judged.rule_version,
                    "judgement": judged.to_dict(),
                    "flood_class": "",
                    "manual": False,
                    "manual_reason": "",
                    "notes": "",
                }
            )
        db.execute(insert(Survey), surveys)
        db.commit()
        return disaster.id, [
            (hids[h["household_no"]], next(r for r in members[h["household_no"]] if r["is_householder"] or True))
            for h in chosen
        ]


def _render(args):
    views, issuer = args
    return len(render_batch(views, issuer))


def bench_bulk(engine, mid, disaster_id, workers: int, batch: int) -> dict:
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as db:
        disaster = db.get(Disaster, disaster_id)
        applied = certificates.bulk_apply(db, disaster, None)
        issued = certificates.bulk_issue(db, disaster, None)
        db.commit()
        t_issue = time.perf_counter() - started
        issuer = certificates.issuer_config(db, mid, "見本市")
        views = [certificates.certificate_view(db, c, disaster) for c in issued]
    t_views = time.perf_counter() - started
    chunks = [(views[i : i + batch], issuer) for i in range(0, len(views), batch)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        sizes = list(pool.map(_render, chunks))
    total = time.perf_counter() - started
    numbers = [c.number for c in issued]
    assert numbers == list(range(1, len(issued) + 1)), "numbers are not gapless"
    return {
        "applied": applied,
        "issued": len(issued),
        "db_seconds": t_issue,
        "views_seconds": t_views - t_issue,
        "pdf_seconds": total - t_views,
        "total_seconds": total,
        "pdf_bytes": sum(sizes),
        "pdfs": len(sizes),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_counters(
    database_url: str,
    code: str,
    number: str,
    targets,
    counters: int,
    rounds: int,
    app_workers: int,
    think: float = 0.0,
) -> dict:
    import httpx

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    log = open(Path(tempfile.mkdtemp()) / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "victim_support.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(app_workers),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)

        def client() -> httpx.Client:
            c = httpx.Client(base_url=base, timeout=30)
            page = c.get("/login")
            c.post(
                "/login",
                data={"username": "bench-staff", "password": PASSWORD, "_csrf": CSRF.search(page.text).group(1)},
            )
            page = c.get("/select")
            c.post("/select", data={"municipality": code, "disaster": number, "_csrf": CSRF.search(page.text).group(1)})
            return c

        clients = [client() for _ in range(counters)]
        timings: list[float] = []
        steps: dict[str, list[float]] = {"find": [], "open": [], "issue": [], "pdf": []}
        lock = threading.Lock()
        barrier = threading.Barrier(counters)

        def counter(i: int) -> None:
            c = clients[i]
            barrier.wait()
            rng = random.Random(i)
            for r in range(rounds):
                if think:  # the person at the counter: talk, check papers (uniform 0..2×think seconds)
                    time.sleep(rng.uniform(0, 2 * think))
                household_id, head = targets[i * rounds + r]
                t0 = time.perf_counter()
                found = c.get("/counter", params={"q": head["name_kana"].replace("\u3000", "")})
                assert f"/counter/{household_id}" in found.text, "household not found"
                t1 = time.perf_counter()
                opened = c.get(f"/counter/{household_id}")
                t2 = time.perf_counter()
                issued = c.post(
                    f"/counter/{household_id}/issue",
                    data={"_csrf": CSRF.search(opened.text).group(1)},
                    follow_redirects=True,
                )
                href = re.search(r'id="print-link" href="([^"]+)"', issued.text).group(1)
                t3 = time.perf_counter()
                pdf = c.get(href)
                assert pdf.content.startswith(b"%PDF")
                t4 = time.perf_counter()
                with lock:
                    timings.append(t4 - t0)
                    for key, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                        steps[key].append(value)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=counters) as pool:
            list(pool.map(counter, range(counters)))
        wall = time.perf_counter() - started
        for c in clients:
            c.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    return {
        "issuances": len(timings),
        "wall_seconds": wall,
        "per_hour": len(timings) / wall * 3600,
        "p50_ms": pct(timings, 50),
        "p95_ms": pct(timings, 95),
        "max_ms": max(timings) * 1000,
        "mean_ms": statistics.mean(timings) * 1000,
        "steps_p95_ms": {k: pct(v, 95) for k, v in steps.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="processes rendering PDFs")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--counter-households",
        type=int,
        default=5_000,
        help="victim households in the counters' disaster (the people served are drawn from it at random)",
    )
    parser.add_argument("--app-workers", type=int, default=2)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a counter spends with a person between issuances (0 = back-to-back, saturating)",
    )
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--skip-counter", action="store_true")
    args = parser.parse_args()

    url, drop = new_database(args.database, args.postgres)
    try:
        upgrade(url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        n = args.counters * args.rounds
        counter_households = max(args.counter_households, n)
        needed = max(args.households, counter_households) + n
        mid, city, dwelling_ids = load_town(engine, needed)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {args.database}"
        )
        print(
            f"town: {len(city.residents):,} residents, {len(city.households):,} 世帯, {len(city.dwellings):,} 家屋 "
            f"(setup {time.perf_counter() - t0:.1f} s, not timed)"
        )
        if not args.skip_bulk:
            disaster_id, _ = make_disaster_with_households(engine, mid, city, dwelling_ids, "2026-01", args.households)
            result = bench_bulk(engine, mid, disaster_id, args.workers, args.batch)
            print(
                f"bulk: {result['issued']:,} certificates (applied {result['applied']:,}): "
                f"issue {result['db_seconds']:.1f} s, "
                f"views {result['views_seconds']:.1f} s, PDFs {result['pdf_seconds']:.1f} s ({result['pdfs']} PDFs, "
                f"{result['pdf_bytes'] / 1e6:.1f} MB, {args.workers} processes); total {result['total_seconds']:.1f} s"
            )
        if not args.skip_counter:
            disaster_id, households = make_disaster_with_households(
                engine, mid, city, dwelling_ids, "2026-02", counter_households
            )
            targets = random.Random(7).sample(households, n)  # anyone of the disaster may come to the counter
            result = bench_counters(
                url, "992011", "2026-02", targets, args.counters, args.rounds, args.app_workers, args.think
            )
            print(
                f"counter: disaster of {counter_households:,} households, "
                f"{args.counters} concurrent counters x {args.rounds} = {result['issuances']} issuances "
                f"(find + open + issue + PDF), think {args.think:g} s, app workers {args.app_workers}: "
                f"p50 {result['p50_ms']:.0f} ms, "
                f"p95 {result['p95_ms']:.0f} ms, max {result['max_ms']:.0f} ms; "
                f"{result['per_hour']:,.0f} issuances/hour; "
                f"p95 per step (ms) {', '.join(f'{k} {v:.0f}' for k, v in result['steps_p95_ms'].items())}"
            )
        engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()
