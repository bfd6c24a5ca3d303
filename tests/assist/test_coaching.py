"""Live coaching hints: each shows when it should and stays silent when it should not, in Japanese and
English, and each can be switched off."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assist.coaching import (
    Coach,
    CoachSettings,
    GlossaryError,
    HintKind,
    Term,
    glossary,
    hard_call,
    load_glossary,
)
from assist.domain import Cue, CueKind, KnowledgeEntry
from assist.session import CallSession
from assist.store import Store
from audio.events import Channel, EventKind, TranscriptEvent

from .test_wrapup import demo_store

TERMS = load_glossary()
SLOW_JA = ("パソコン操作に不慣れ",)
SLOW_EN = ("elderly, prefers to go slowly",)
# 50 morae in 6 s = 8.3 morae/s: too fast for a customer who needs it slow, fine for anyone else.
JA_50_MORAE = "ありがとうございます。" * 5
JA_60_MORAE = "ありがとうございます。" * 6  # 10 morae/s in 6 s: fast for anyone
EN_17_WORDS = "I will now walk you through the steps we take to look at the line from our side"  # 17 words
EN_21_WORDS = EN_17_WORDS + " and then the router"


def kinds(hints: list) -> list[HintKind]:  # type: ignore[type-arg]
    return [h.kind for h in hints]


@pytest.mark.parametrize(
    ("language", "slow", "text", "fast_for_anyone"),
    [("ja", SLOW_JA, JA_50_MORAE, JA_60_MORAE), ("en", SLOW_EN, EN_17_WORDS, EN_21_WORDS)],
)
def test_pace_for_a_customer_who_needs_it_slower_and_for_anyone(
    language: str, slow: tuple[str, ...], text: str, fast_for_anyone: str
) -> None:
    coach = Coach(language, slow, TERMS)
    (hint,) = coach.heard("agent", 0.0, 6.0, text, "a1")
    assert hint.kind is HintKind.PACE and slow[0] in hint.reason
    # Anyone else: that pace is fine; only a really fast one is pointed out.
    assert Coach(language, (), TERMS).heard("agent", 0.0, 6.0, text, "a1") == []
    (fast,) = Coach(language, (), TERMS).heard("agent", 0.0, 6.0, fast_for_anyone, "a1")
    assert fast.kind is HintKind.PACE
    # Too little speech to judge: silent.
    assert Coach(language, slow, TERMS).heard("agent", 0.0, 3.0, text[: len(text) // 2], "a1") == []
    # Switched off: silent.
    off = CoachSettings(frozenset(HintKind) - {HintKind.PACE})
    assert Coach(language, slow, TERMS, off).heard("agent", 0.0, 6.0, text, "a1") == []


def test_pace_points_out_once_a_minute_not_on_every_line() -> None:
    coach = Coach("ja", SLOW_JA, TERMS)
    assert kinds(coach.heard("agent", 0.0, 6.0, JA_50_MORAE, "a1")) == [HintKind.PACE]
    assert coach.heard("agent", 7.0, 13.0, JA_50_MORAE, "a2") == []
    assert kinds(coach.heard("agent", 70.0, 76.0, JA_50_MORAE, "a3")) == [HintKind.PACE]


@pytest.mark.parametrize(
    ("language", "traits", "said", "term", "plain"),
    [
        ("ja", SLOW_JA, "SSIDをご確認いただけますか。", "SSID", "Wi-Fiの名前"),
        ("en", ("not very technical",), "Could you read me the SSID, please?", "SSID", "the Wi-Fi name"),
    ],
)
def test_jargon_with_a_non_technical_customer_offers_the_plain_words(
    language: str, traits: tuple[str, ...], said: str, term: str, plain: str
) -> None:
    coach = Coach(language, traits, TERMS)
    (hint,) = coach.heard("agent", 0.0, 2.0, said, "a1")
    assert (hint.kind, hint.trigger, hint.say) == (HintKind.JARGON, term, plain)
    assert traits[0] in hint.reason and plain in hint.reason
    assert coach.heard("agent", 3.0, 5.0, said, "a2") == []  # once per term and call
    # A customer the card calls technical, or none: the term is fine.
    assert Coach(language, ("technical",), TERMS).heard("agent", 0.0, 2.0, said, "a1") == []
    assert Coach(language, (), TERMS).heard("agent", 0.0, 2.0, said, "a1") == []
    # The customer saying the term is no jargon from the agent.
    assert Coach(language, traits, TERMS).heard("customer", 0.0, 2.0, said, "c1") == []


def test_jargon_false_friends_stay_silent() -> None:
    coach = Coach("en", ("not very technical",), TERMS)
    assert coach.heard("agent", 0.0, 2.0, "I have sent the ID card form to you.", "a1") == []  # not "SSID"
    coach = Coach("ja", SLOW_JA, TERMS)
    assert (
        coach.heard("agent", 0.0, 2.0, "キャッシュレスでお支払いいただけます。", "a1") == []
    )  # not キャッシュ


def test_knowledge_entries_tagged_as_terms_and_the_users_own_list(tmp_path: Path) -> None:
    entry = KnowledgeEntry(
        "kb-onu", "光終端装置", "光回線の機械のことです。壁の近くにあります。", ("用語",), "ja", ("ONU",)
    )
    terms = glossary([entry])
    coach = Coach("ja", SLOW_JA, terms)
    (hint,) = coach.heard("agent", 0.0, 2.0, "光終端装置のランプを見てください", "a1")
    assert hint.say == "光回線の機械のことです。"
    own = tmp_path / "jargon.json"
    own.write_text(json.dumps({"terms": [{"term": "SSID", "ja": "無線の名前"}]}, ensure_ascii=False), "utf-8")
    mine = {t.term: t for t in glossary([], own)}
    assert (
        mine["SSID"].plain["ja"] == "無線の名前" and "ルーター" in mine
    )  # the rest of the shipped list stays
    own.write_text("{not json", "utf-8")
    with pytest.raises(GlossaryError, match=r"jargon\.json"):
        glossary([], own)


@pytest.mark.parametrize(
    ("language", "absolute", "fine"),
    [
        (
            "ja",
            ["必ず明日までに直ります。", "絶対に大丈夫です。", "すぐにつながるようになります。"],
            ["必ずしもそうではございません。", "すぐに確認いたします。", "明日までにご連絡いたします。"],
        ),
        (
            "en",
            ["It will definitely work tomorrow.", "I guarantee the refund.", "It'll be fixed right away."],
            [
                "Let me check that right away.",
                "I'll update you by Friday.",
                "Is that definitely your email address?",
            ],
        ),
    ],
)
def test_expectation_on_absolute_promises_only(language: str, absolute: list[str], fine: list[str]) -> None:
    for said in absolute:
        (hint,) = Coach(language, (), TERMS).heard("agent", 0.0, 2.0, said, "a1")
        assert hint.kind is HintKind.EXPECTATION and hint.trigger.lower() in said.lower() and hint.say
    for said in fine:
        assert Coach(language, (), TERMS).heard("agent", 0.0, 2.0, said, "a1") == [], said


@pytest.mark.parametrize(
    ("language", "turn", "say"),
    [
        (
            "ja",
            [
                "毎晩インターネットが切れてしまって、本当に困っているんです。",
                "この件で電話するのはもう三回目なんですよ。",
            ],
            "つまり、毎晩インターネットが切れるということでよろしいでしょうか。",
        ),
        (
            "en",
            [
                "My internet keeps dropping every evening, and I am really frustrated.",
                "This is the third time I am calling.",
            ],
            "So, just to check: the internet keeps dropping every evening \u2014 is that right?",
        ),
    ],
)
def test_backtracking_after_a_long_turn_about_a_problem(language: str, turn: list[str], say: str) -> None:
    coach = Coach(language, (), TERMS)
    assert coach.heard("customer", 0.0, 7.0, turn[0], "c1") == []  # 7 s: not long yet
    (hint,) = coach.heard("customer", 7.5, 11.5, turn[1], "c2")
    assert hint.kind is HintKind.BACKTRACK and hint.say == say
    assert coach.heard("customer", 12.0, 20.0, turn[1], "c3") == []  # once per turn
    # A short turn about the same problem: silent.
    assert Coach(language, (), TERMS).heard("customer", 0.0, 4.0, turn[0], "c1") == []


@pytest.mark.parametrize(
    ("language", "story"),
    [
        ("ja", ["先週は家族で京都に行ってきました。", "紅葉がとてもきれいで、楽しい旅行でした。"]),
        (
            "en",
            ["We went to Kyoto with the family last week.", "The autumn leaves were lovely, a great trip."],
        ),
    ],
)
def test_no_backtracking_for_a_long_turn_without_a_problem(language: str, story: list[str]) -> None:
    coach = Coach(language, (), TERMS)
    assert coach.heard("customer", 0.0, 7.0, story[0], "c1") == []
    assert coach.heard("customer", 7.5, 14.0, story[1], "c2") == []


@pytest.mark.parametrize(
    ("language", "plain", "announced"),
    [
        ("ja", "はい、そうですね。", "確認いたしますので、少々お待ちください。"),
        ("en", "Okay, I see.", "Let me check your line, one moment please."),
    ],
)
def test_dead_air_while_the_agent_works(language: str, plain: str, announced: str) -> None:
    coach = Coach(language, (), TERMS)
    assert coach.silence(30.0) is None  # nothing said yet: the call has not begun
    coach.heard("agent", 0.0, 2.0, plain, "a1")
    assert coach.silence(8.0) is None  # 6 s: a pause, not dead air
    hint = coach.silence(12.5)
    assert hint is not None and hint.kind is HintKind.DEAD_AIR and hint.say
    assert coach.silence(20.0) is None  # once per silence
    # The agent said what they are doing: the customer knows, so only a long silence is pointed out.
    coach.heard("agent", 21.0, 24.0, announced, "a2")
    assert coach.silence(40.0) is None
    assert coach.silence(55.0) is not None


def cue(kind: CueKind) -> Cue:
    return Cue(kind, "s", "trigger")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_pause_after_a_hard_call_only(language: str) -> None:
    coach = Coach(language, (), TERMS)
    assert coach.after_call([cue(CueKind.FRUSTRATION)] * 2, 300.0) is None
    assert not hard_call([cue(CueKind.FRUSTRATION)] * 2, 300.0)
    for cues, duration in (
        ([cue(CueKind.ANGER)], 120.0),
        ([cue(CueKind.FRUSTRATION)] * 3, 120.0),
        ([], 1500.0),
    ):
        hint = coach.after_call(cues, duration)
        assert hint is not None and hint.kind is HintKind.PAUSE and hard_call(cues, duration)
    off = CoachSettings(frozenset(HintKind) - {HintKind.PAUSE})
    assert Coach(language, (), TERMS, off).after_call([cue(CueKind.ANGER)], 60.0) is None


def test_the_live_call_gives_hints_with_their_reasons(store: Store) -> None:
    """The Japanese demo call, as the session hears it: the customer (「パソコン操作に不慣れ」) describes the
    problem at length, the agent says 「ルーター」."""
    demo_store(store)
    script = json.loads(
        (Path(__file__).resolve().parents[2] / "resources/demo/demo_call_ja.json").read_text("utf-8")
    )
    session = CallSession(
        store, "call", "demo-cust-sato", "ja", clock=lambda: datetime(2026, 11, 18, 10, tzinfo=UTC)
    )
    found = []
    for n, line in enumerate(script["lines"]):
        channel = Channel.AGENT if line["speaker"] == "agent" else Channel.CUSTOMER
        update = session.feed(
            TranscriptEvent(
                "call", channel, EventKind.FINAL, line["start"], line["end"], line["text"], 0.9, f"s{n}"
            )
        )
        found += [(h.kind, h.segment_id) for h in update.hints]
    assert found == [(HintKind.BACKTRACK, "s2"), (HintKind.JARGON, "s3")]
    assert session.silence(script["lines"][-1]["end"] + 12) is not None
    assert session.after_call() is None and not session.needs_moment
    assert isinstance(TERMS[0], Term)
