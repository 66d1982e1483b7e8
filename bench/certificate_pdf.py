"""Benchmark: 罹災証明書 PDF rendering speed (ledgers.certificates.pdf).

    .venv/bin/python bench/certificate_pdf.py                    # 1,000 pages, one PDF, one process
    .venv/bin/python bench/certificate_pdf.py --pages 10000 --workers 2 --batch 500

Views are built from the synthetic town of importers.synthetic_city (never real names). Prints pages per
second for the batch, the latency of one single-page certificate, and the PDF size. With
``--out FILE`` the (first) batch PDF is written for inspection.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from importers.synthetic_city import CITY_NAME, PREFECTURE, generate_city
from ledgers.certificates import (
    DAMAGE_CLASSES,
    CertificateView,
    IssuerConfig,
    render_batch,
    render_certificate,
    sample_seal_png,
)

DISASTER_DATE = date(2026, 11, 20)


def make_views(n: int) -> list[CertificateView]:
    city = generate_city(max(50, int(n * 2.7)), seed=7)
    households = itertools.cycle(city.households)
    views = []
    for i in range(n):
        hh = next(households)
        address = f"{PREFECTURE}{hh['address']}" + (f"　{hh['katagaki']}" if hh["katagaki"] else "")
        code, _ = DAMAGE_CLASSES[i % len(DAMAGE_CLASSES)]
        views.append(
            CertificateView(
                number=f"{i + 1:05d}",
                issued_on=date(2026, 11, 24),
                head_name=hh["householder_name"],
                head_address=address,
                dwelling_location=f"{PREFECTURE}{hh['address']}",
                disaster_name="令和8年見本地震",
                disaster_date=DISASTER_DATE,
                damage_class=code,
                flood_class=("above_floor", "below_floor", None)[i % 3],
                notes="第1次調査の結果による。" if i % 4 == 0 else "",
                reissue_of=(f"{i:05d}", date(2026, 11, 22)) if i % 10 == 0 and i else None,
            )
        )
    return views


def _issuer() -> IssuerConfig:
    return IssuerConfig(CITY_NAME, mayor_name="見本　太郎", seal_png=sample_seal_png())


def _render_chunk(views: list[CertificateView]) -> int:
    return len(render_batch(views, _issuer()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1, help="processes; each renders whole batches")
    ap.add_argument("--batch", type=int, default=0, help="pages per PDF (0 = all pages in one PDF per worker)")
    ap.add_argument("--out", type=Path, help="write the first batch PDF here")
    args = ap.parse_args()

    views = make_views(args.pages)
    issuer = _issuer()

    # Single certificate latency: first call pays the font registration, later calls do not.
    t = time.perf_counter()
    render_certificate(views[0], issuer)
    first_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    reps = 20
    for v in views[:reps]:
        single = render_certificate(v, issuer)
    single_ms = (time.perf_counter() - t) * 1000 / reps

    batch = args.batch or -(-args.pages // args.workers)
    chunks = [views[i : i + batch] for i in range(0, len(views), batch)]
    t = time.perf_counter()
    if args.workers == 1:
        sizes = []
        for chunk in chunks:
            pdf = render_batch(chunk, issuer)
            if args.out and not sizes:
                args.out.write_bytes(pdf)
            sizes.append(len(pdf))
    else:
        with ProcessPoolExecutor(args.workers) as pool:
            sizes = list(pool.map(_render_chunk, chunks))
        if args.out:
            args.out.write_bytes(render_batch(chunks[0], issuer))
    elapsed = time.perf_counter() - t

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}"
    )
    print(f"single certificate: first {first_ms:.0f} ms (font load), then {single_ms:.1f} ms, {len(single):,} bytes")
    print(
        f"batch: {args.pages} pages in {len(chunks)} PDF(s), {args.workers} worker(s): {elapsed:.2f} s, "
        f"{args.pages / elapsed:.0f} pages/s, {elapsed / args.pages * 1000:.2f} ms/page, "
        f"{sum(sizes) / args.pages / 1024:.1f} KiB/page"
    )


if __name__ == "__main__":
    main()
