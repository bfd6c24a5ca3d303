"""Caller lookup latency at 100,000 customers. Goal (issue 4): <= 5 ms per lookup.

Run on purpose (not collected by pytest):

    flock /tmp/aa-cpu.lock .venv/bin/python -m tests.bench.bench_lookup

Customers get one to three Japanese or North American numbers written the way CRMs write them
("03-1234-5678", "+81 90 ...", "(415) 555-0199"); lookups use other written forms of the same numbers
(as the telephone system reports them), plus unknown numbers that must come back as new callers. Every
answer is checked, so a fast wrong answer fails. Name/kana/company/email search is timed too.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from assist.customers import lookup_caller
from assist.domain import Customer, LookupStatus
from assist.store import SCHEMA_VERSION, Store

SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
]
KANA = [
    "さとう",
    "すずき",
    "たかはし",
    "たなか",
    "いとう",
    "わたなべ",
    "やまもと",
    "なかむら",
    "こばやし",
    "かとう",
    "よしだ",
    "やまだ",
    "ささき",
    "やまぐち",
    "まつもと",
    "いのうえ",
    "きむら",
    "はやし",
    "さいとう",
    "しみず",
]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "陽子", "翔太", "由美", "大輔", "明美"]


def japanese_number(rng: random.Random) -> tuple[str, str]:
    """(how the CRM wrote it, how the phone system reports it)"""
    mobile = rng.random() < 0.6
    if mobile:
        a, b, c = rng.choice(["90", "80", "70"]), rng.randint(0, 9999), rng.randint(0, 9999)
        written = rng.choice([f"0{a}-{b:04d}-{c:04d}", f"0{a} {b:04d} {c:04d}", f"+81 {a}-{b:04d}-{c:04d}"])
        return written, f"+81{a}{b:04d}{c:04d}"
    b, c = rng.randint(1000, 9999), rng.randint(0, 9999)
    written = rng.choice([f"03-{b}-{c:04d}", f"(03) {b}-{c:04d}", f"０３－{b}－{c:04d}"])
    return written, f"+813{b}{c:04d}"


def american_number(rng: random.Random) -> tuple[str, str]:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    written = rng.choice([f"+1 {a} {b} {c:04d}", f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}"])
    return written, f"+1{a}{b}{c:04d}"


def build(path: Path, count: int) -> dict[str, str]:
    rng = random.Random(7)
    dialled: dict[str, str] = {}
    with Store.open(path) as store:
        batch: list[Customer] = []
        for i in range(count):
            phones = []
            for _ in range(rng.randint(1, 3)):
                written, reported = american_number(rng) if rng.random() < 0.2 else japanese_number(rng)
                if reported in dialled:
                    continue
                phones.append(written)
                dialled[reported] = f"c{i:06d}"
            s = rng.randrange(len(SURNAMES))
            batch.append(
                Customer(
                    id=f"c{i:06d}",
                    name=f"{SURNAMES[s]} {rng.choice(GIVEN)}",
                    kana=KANA[s],
                    company=f"株式会社{rng.choice(SURNAMES)}商事{i % 500}",
                    phones=tuple(phones),
                    email=f"user{i}@example.jp",
                )
            )
            if len(batch) == 5000:
                store.upsert_customers(batch)
                batch = []
        store.upsert_customers(batch)
    return dialled


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=5_000)
    args = parser.parse_args()
    path = Path("/tmp") / f"aa-bench-lookup-v{SCHEMA_VERSION}-{args.customers}.sqlite3"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    dialled = build(path, args.customers)
    print(
        f"built {args.customers:,} customers with {len(dialled):,} numbers "
        f"in {time.perf_counter() - started:.1f} s"
    )
    rng = random.Random(11)
    known = rng.sample(sorted(dialled), min(args.lookups, len(dialled)))
    times: list[float] = []
    wrong = 0
    with Store.open(path) as store:
        for reported in known:
            t0 = time.perf_counter()
            result = lookup_caller(store, reported)
            times.append((time.perf_counter() - t0) * 1000)
            wrong += result.customer is None or result.customer.id != dialled[reported]
        unknown_times: list[float] = []
        for _ in range(1000):
            number = f"+8199{rng.randint(0, 99999999):08d}"
            t0 = time.perf_counter()
            result = lookup_caller(store, number)
            unknown_times.append((time.perf_counter() - t0) * 1000)
            wrong += result.status is not LookupStatus.NEW_CALLER
        search_times: list[float] = []
        for query in ("佐藤", "やまだ", "株式会社田中商事12", "user4242@example.jp", "鈴木 花子"):
            for _ in range(20):
                t0 = time.perf_counter()
                found = store.search_customers(query)
                search_times.append((time.perf_counter() - t0) * 1000)
            wrong += not found
    for label, values in (
        ("known caller", times),
        ("new caller", unknown_times),
        ("name/kana/email search", search_times),
    ):
        values.sort()
        print(
            f"{label}: n={len(values)} mean={statistics.fmean(values):.3f} ms "
            f"p95={values[int(0.95 * (len(values) - 1))]:.3f} ms max={values[-1]:.3f} ms"
        )
    print(f"wrong answers: {wrong} (goal: lookup <= 5 ms, no wrong answers)")


if __name__ == "__main__":
    main()
