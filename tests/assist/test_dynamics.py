"""Conversation dynamics: every figure of a constructed two-channel call, checked exactly."""

from __future__ import annotations

import pytest

from assist.domain import Segment
from assist.dynamics import (
    AGENT,
    CUSTOMER,
    Line,
    kana_morae,
    load_dynamics,
    measure,
    measure_call,
    morae,
)
from assist.store import Store

# A Japanese call laid out by hand (seconds):
#   agent     0.0-10.0   (10 s; a monologue, then the customer comes in at 9.0)
#   customer  9.0-12.0   overlap 9.0-10.0 = 1.0 s, the customer came in over the agent
#   agent    12.5-14.0
#   ---- 14.0-18.0: 4 s silence
#   customer 18.0-24.0 and 24.5-30.0 (one 12 s monologue: 0.5 s pause inside)
#   agent    29.5-31.0   overlap 29.5-30.0 = 0.5 s: too short to count
#   customer 31.5-33.0
#   ---- 33.0-60.0: 27 s silence, a hold
#   agent    60.0-62.0
JA_CALL = [
    Line(AGENT, 0.0, 10.0, "ありがとうございます"),  # アリガトウゴザイマス: 10 morae
    Line(CUSTOMER, 9.0, 12.0, "はい"),  # 2
    Line(AGENT, 12.5, 14.0, "ちょっと待ってね"),  # チョット マッ テ ネ: 3 + 2 + 1 + 1 = 7
    Line(CUSTOMER, 18.0, 24.0, "きょう"),  # キョウ: 2
    Line(CUSTOMER, 24.5, 30.0, "はい"),  # 2
    Line(AGENT, 29.5, 31.0, "はい"),  # 2
    Line(CUSTOMER, 31.5, 33.0, "はい"),  # 2
    Line(AGENT, 60.0, 62.0, "はい"),  # 2
]


def test_each_figure_of_a_constructed_call() -> None:
    d = measure("c1", JA_CALL, "ja")
    assert d.span == 62.0
    assert d.agent_talk == pytest.approx(10.0 + 1.5 + 1.5 + 2.0)
    assert d.customer_talk == pytest.approx(3.0 + 6.0 + 5.5 + 1.5)
    assert d.talk_listen_ratio == pytest.approx(15.0 / 16.0)
    assert d.agent_share == pytest.approx(15.0 / 31.0)
    # Overlaps >= 1 s: only 9.0-10.0, started by the customer; the 0.5 s one is not counted.
    assert [(o.start, o.end, o.by) for o in d.overlaps] == [(9.0, 10.0, CUSTOMER)]
    assert d.overlap_seconds == pytest.approx(1.0)
    assert d.agent_interruptions == 0
    # Silences >= 3 s between the first and the last word: 14-18 and 33-60 (a hold); 12.0-12.5 is not one.
    assert [(s.start, s.end) for s in d.silences] == [(14.0, 18.0), (33.0, 60.0)]
    assert d.dead_air == pytest.approx(31.0)
    assert d.longest_silence == pytest.approx(27.0)
    assert d.holds == 1
    # The agent's opening ran 0-10 but the customer came in at 9.0; the customer's 18-30 ran 12 s until the
    # agent came in at 29.5 -> 11.5 s.
    assert d.agent_longest_monologue == pytest.approx(9.0)
    assert d.customer_longest_monologue == pytest.approx(11.5)
    assert d.agent_rate == pytest.approx((10 + 7 + 2 + 2) / 15.0, abs=1e-3)
    assert d.customer_rate == pytest.approx((2 + 2 + 2 + 2) / 16.0, abs=1e-3)
    assert d.rate_unit == "morae/s"
    assert d.switches == 6


def test_morae_follow_the_readings() -> None:
    assert kana_morae("キョウ") == 2  # small ョ joins キ
    assert kana_morae("ルーター") == 4  # ー counts
    assert kana_morae("がっこう") == 4  # っ counts
    assert morae("ちょっと待ってね") == 7
    assert morae("二重請求") == kana_morae("ニジュウセイキュウ") == 7  # ニ ジュ ウ セ イ キュ ウ


def test_english_rate_is_words_per_minute_and_a_monologue_ends_at_a_long_pause() -> None:
    lines = [
        Line(AGENT, 0.0, 4.0, "I will check your line and the router now."),  # 9 words in 4 s
        Line(AGENT, 8.0, 10.0, "Thanks for waiting."),  # after a 4 s pause: a new run
        Line(CUSTOMER, 11.0, 12.0, "Okay."),
    ]
    d = measure("c2", lines, "en")
    assert d.rate_unit == "wpm"
    assert d.agent_rate == pytest.approx((9 + 3) / 6.0 * 60.0)
    assert d.customer_rate == pytest.approx(60.0)
    assert d.agent_longest_monologue == pytest.approx(4.0)
    assert [(s.start, s.end) for s in d.silences] == [(4.0, 8.0)]
    assert d.overlaps == ()


def test_an_empty_call_measures_zero_without_dividing_by_it() -> None:
    d = measure("c3", [], "en")
    assert (d.span, d.talk_listen_ratio, d.agent_share, d.agent_rate, d.switches) == (0.0, 0.0, 0.0, 0.0, 0)


def test_the_figures_are_stored_with_the_call(store: Store) -> None:
    store.add_segments(
        Segment("c1", f"s{i}", line.channel, line.start, line.end, line.text)
        for i, line in enumerate(JA_CALL)
    )
    measured = measure_call(store, "c1", "ja")
    assert load_dynamics(store, "c1") == measured
    row = store.conn.execute(
        "SELECT overlaps, silences, holds, rate_unit FROM call_dynamics WHERE call_id = 'c1'"
    ).fetchone()
    assert tuple(row) == (1, 2, 1, "morae/s")
