"""Team insights from the call history: volume by period and dimension, handle time, knowledge use,
frustration share, and the CSV a lead opens in Excel."""

from __future__ import annotations

import csv
from pathlib import Path

from assist.history import CallFilter
from assist.insights import (
    Dimension,
    Period,
    call_volume,
    frustration_share,
    handle_times,
    insights,
    knowledge_usage,
    write_insights_csv,
)
from assist.store import Store


def _rows(counts: list) -> list[tuple[str, str, int]]:  # type: ignore[type-arg]
    return [(c.period, c.key, c.calls) for c in counts]


def test_calls_per_day_and_week_by_tag_disposition_topic(store: Store) -> None:
    assert _rows(call_volume(store, Period.DAY)) == [
        ("2026-03-02", "", 1),
        ("2026-03-03", "", 1),
        ("2026-03-09", "", 1),
    ]
    # 2026-03-02 is a Monday: the first two calls share a week, the third is in the next.
    assert _rows(call_volume(store, Period.WEEK, Dimension.TAG)) == [
        ("2026-03-02", "billing", 1),
        ("2026-03-02", "請求", 1),
        ("2026-03-09", "解約", 1),
        ("2026-03-09", "請求", 1),
    ]
    assert _rows(call_volume(store, Period.WEEK, Dimension.DISPOSITION)) == [
        ("2026-03-02", "follow_up", 1),
        ("2026-03-02", "resolved", 1),
        ("2026-03-09", "escalated", 1),
    ]
    # Topic: the knowledge entry used in the call, else the one shown.
    assert _rows(call_volume(store, Period.WEEK, Dimension.TOPIC)) == [
        ("2026-03-02", "kb-invoice", 2),
        ("2026-03-09", "kb-cancel", 1),
    ]
    assert _rows(call_volume(store, Period.DAY, Dimension.AGENT, CallFilter(language="ja"))) == [
        ("2026-03-02", "suzuki", 1),
        ("2026-03-09", "sato", 1),
    ]


def test_average_handle_time_overall_and_per_agent(store: Store) -> None:
    times = {h.key: (h.calls, h.average_seconds) for h in handle_times(store)}
    assert times == {"": (3, (300 + 600 + 240) / 3), "sato": (1, 600.0), "suzuki": (2, 270.0)}


def test_knowledge_most_used_and_shown(store: Store) -> None:
    usage = [(k.entry_id, k.title, k.shown, k.used) for k in knowledge_usage(store)]
    # Equal use: the one shown more comes first.
    assert usage == [("kb-invoice", "Invoice not received", 2, 1), ("kb-cancel", "解約の手続き", 1, 1)]
    assert knowledge_usage(store)[0].use_rate == 0.5


def test_share_of_calls_with_frustration(store: Store) -> None:
    share = frustration_share(store)
    assert (share.calls, share.calls_with_cues) == (3, 1)
    assert abs(share.share - 1 / 3) < 1e-9
    assert frustration_share(store, CallFilter(language="ja")).share == 0.0


def test_insights_csv_opens_in_excel_with_japanese(store: Store, tmp_path: Path) -> None:
    target = tmp_path / "insights.csv"
    write_insights_csv(insights(store, Period.WEEK, Dimension.TAG), target)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {
        "section": "calls_per_week_by_tag",
        "period": "2026-03-09",
        "key": "解約",
        "value": "1",
        "extra": "",
    } in rows
    assert any(r["section"] == "knowledge_used" and r["extra"] == "解約の手続き" for r in rows)
    assert [r["value"] for r in rows if r["section"] == "frustration_share"] == ["0.333"]
