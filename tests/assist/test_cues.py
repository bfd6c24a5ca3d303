"""What the agent reads in the cue banner and the cards during a real call: an empathy phrase they can say as
is, a feeling noticed in either language, no cue on calm lines, and no card brought up by a word like
"out"."""

from __future__ import annotations

import json
import re
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assist.cues import emotion_cues
from assist.domain import CueKind, KnowledgeEntry
from assist.importing import knowledge_from_row
from assist.session import CallSession
from assist.store import Store
from audio.events import Channel, EventKind, TranscriptEvent
from tests.conftest import ROOT

from .conftest import FakeClock

DEMO_KB = ROOT / "resources" / "demo" / "knowledge.jsonl"
_ids = count()

HANAKO = "Hello, this is Hanako Sato. My internet keep stopping every evening and I am really frustrated."
THIRD_TIME = "This is the third time I am calling him out it."
JA_THIRD_TIME = "もう三回目ですよ。本当に困っているんです。"
JA_EVENINGS = "毎晩インターネットが切れてしまって、本当に困っているんです。"


def demo_kb() -> list[KnowledgeEntry]:
    rows = [json.loads(line) for line in DEMO_KB.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [knowledge_from_row(row) for row in rows]


@pytest.fixture
def demo_store(store: Store) -> Store:
    store.upsert_knowledge(demo_kb())
    return store


def said(session: CallSession, text: str, channel: Channel = Channel.CUSTOMER):  # type: ignore[no-untyped-def]
    n = next(_ids)
    return session.feed(
        TranscriptEvent(session.call_id, channel, EventKind.FINAL, n, n + 1.0, text, 0.9, f"seg-{n}")
    )


def echoed_words(phrase: str, customer_line: str, run: int = 4) -> list[str]:
    """Runs of ``run`` words of the customer's line found again in the phrase (a raw echo)."""
    words = re.findall(r"[a-z']+", customer_line.lower())
    said_back = " ".join(re.findall(r"[a-z']+", phrase.lower()))
    grams = (" ".join(words[i : i + run]) for i in range(len(words) - run + 1))
    return [g for g in grams if f" {g} " in f" {said_back} "]


def assert_sayable_english(phrase: str, customer_line: str) -> None:
    lowered = f" {phrase.lower()} "
    for broken in (" you am ", " you was ", " your am ", " you is ", " sato", " hanako", "so so "):
        assert broken not in lowered, phrase
    assert not echoed_words(phrase, customer_line), phrase
    assert phrase[0].isupper() and phrase.rstrip().endswith((".", "!")), phrase


# --- the empathy phrase
# ---------------------------------------------------------------------------------------


def test_english_frustration_phrase_names_the_card_topic_and_never_echoes_the_customer(
    demo_store: Store, clock: FakeClock
) -> None:
    session = CallSession(demo_store, "call", None, "en", clock=clock)
    update = said(session, HANAKO)
    assert [c.kind for c in update.cues] == [CueKind.FRUSTRATION]
    phrase = update.cues[0].phrase
    assert phrase.startswith("So the internet drops in the evening — "), phrase
    assert_sayable_english(phrase, HANAKO)


def test_without_a_fitting_card_the_english_phrase_is_a_clean_template(
    store: Store, clock: FakeClock
) -> None:
    session = CallSession(store, "call", None, "en", clock=clock)
    line = "My router keep restarting and I am so frustrated with this"
    phrase = said(session, line).cues[0].phrase
    assert_sayable_english(phrase, line)
    assert "router" not in phrase.lower()  # nothing about the issue is guessed from the customer's grammar


def test_japanese_frustration_phrase_names_the_issue_briefly(demo_store: Store, clock: FakeClock) -> None:
    session = CallSession(demo_store, "call", None, "ja", clock=clock)
    phrase = said(session, JA_EVENINGS).cues[0].phrase
    assert phrase.startswith("夜になるとインターネットが切れるということで、お困りなのですね。"), phrase
    assert "本当に困っている" not in phrase


def test_a_japanese_echo_is_short_and_free_of_the_feeling_words(store: Store, clock: FakeClock) -> None:
    session = CallSession(store, "call", None, "ja", clock=clock)
    phrase = said(session, "えーと、何度もメールが届かないんです").cues[0].phrase
    assert phrase.startswith("メールが届かないということで、お困りなのですね。"), phrase
    long_line = (
        "先月からずっとなんですけど、私の家の二階の部屋に置いてあるルーターの電源ランプがときどき赤く点滅して"
        "そのあと全部つながらなくなってしまって本当に困っているんです"
    )
    phrase = said(CallSession(store, "call2", None, "ja", clock=clock), long_line).cues[0].phrase
    issue = phrase.split("お困りなのですね")[0]
    assert len(issue) <= 30 and "私" not in phrase and "困っている" not in phrase, phrase


# --- what brings a feeling cue, and what does not
# --------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (JA_THIRD_TIME, CueKind.FRUSTRATION),
        ("困ってるんですよ", CueKind.FRUSTRATION),
        ("それは困ります", CueKind.FRUSTRATION),
        ("何回も電話してるんですけど", CueKind.FRUSTRATION),
        ("これで三回目の電話です", CueKind.FRUSTRATION),
        ("いい加減にしてください", CueKind.ANGER),
        ("ふざけないでよ", CueKind.ANGER),
        ("不安です", CueKind.ANXIETY),
        ("ちゃんと届くか心配で", CueKind.ANXIETY),
        ("This is ridiculous", CueKind.ANGER),
        ("I've called three times about this", CueKind.FRUSTRATION),
        ("it happened again", CueKind.FRUSTRATION),
        ("I'm worried", CueKind.ANXIETY),
    ],
)
def test_core_markers_of_feeling_bring_a_cue(
    store: Store, clock: FakeClock, line: str, kind: CueKind
) -> None:
    cues = said(CallSession(store, "call", None, "", clock=clock), line).cues
    assert [c.kind for c in cues] == [kind]
    assert cues[0].phrase and cues[0].language == ("en" if line.isascii() else "ja")


@pytest.mark.parametrize(
    "line",
    [
        "Could you say that again?",
        "Don't worry about it.",
        "I'm afraid I don't have the number with me.",
        "I called yesterday about my order.",
        "Can I pay by card this time?",
        "Every time slot is fine for me.",
        "二回目の支払いについて聞きたいです",
        "心配ないです、大丈夫です",
        "困ったことがあればまた電話します",
        "明日また電話します",
        "一回目の請求は届きました",
        "パスワードを変更したいんですが",
    ],
)
def test_neutral_lines_bring_no_cue(store: Store, clock: FakeClock, line: str) -> None:
    assert said(CallSession(store, "call", None, "", clock=clock), line).cues == ()


def test_the_reported_call_cues_in_the_customers_language_and_then_names_the_issue(
    demo_store: Store, clock: FakeClock
) -> None:
    session = CallSession(demo_store, "call", None, "en", clock=clock)
    first = said(session, HANAKO).cues
    assert [c.language for c in first] == ["en"]
    assert said(session, THIRD_TIME).cues == ()  # the English phrase is still on screen: no nagging
    switched = said(session, JA_THIRD_TIME).cues
    assert [(c.kind, c.language) for c in switched] == [(CueKind.FRUSTRATION, "ja")]
    assert switched[0].phrase.startswith("お困りなのですね"), switched[
        0
    ].phrase  # no issue heard yet: no guess
    named = said(session, JA_EVENINGS).cues
    assert [c.kind for c in named] == [CueKind.FRUSTRATION]
    assert named[0].phrase.startswith("夜になるとインターネットが切れるということで"), named[0].phrase
    assert said(session, "本当に困ってるんです").cues == ()  # once named, the phrase stays for the cooldown


# --- cards
# ----------------------------------------------------------------------------------------------------


def test_a_function_word_never_brings_up_a_card(demo_store: Store, clock: FakeClock) -> None:
    session = CallSession(demo_store, "call", None, "en", clock=clock)
    said(session, HANAKO)
    update = said(session, THIRD_TIME)
    titles = [s.title for s in update.suggestions]
    assert "Reset the account password" not in titles
    assert titles == ["Internet drops in the evening"]  # the topic of the call stays
    fresh = CallSession(demo_store, "call2", None, "en", clock=clock)
    for line in (THIRD_TIME, "I'm locked out of it again", "every time I call you"):
        shown = said(fresh, line).suggestions
        # Each card has a real reason: a content word, or a meaning close to its title or an alias.
        assert all(
            set(s.matched_terms) - {"out", "him", "every", "time", "call", "third"} or s.close_to
            for s in shown
        ), shown


def test_a_content_word_still_brings_up_its_card(demo_store: Store, clock: FakeClock) -> None:
    session = CallSession(demo_store, "call", None, "en", clock=clock)
    assert [s.title for s in said(session, "I forgot my password").suggestions][:1] == [
        "Reset the account password"
    ]


# --- whatever the customer says
# -------------------------------------------------------------------------------

CUSTOMER_WORDS = [
    "i",
    "am",
    "my",
    "internet",
    "keep",
    "stopping",
    "every",
    "evening",
    "we",
    "me",
    "our",
    "router",
    "really",
    "bill",
    "is",
    "wrong",
    "this",
    "sato",
    "hello",
    "and",
    "it",
    "was",
    "frustrated",
    "ridiculous",
    "worried",
    "third",
    "time",
    "again",
    "and",
    "again",
]
JA_PIECES = [
    "私の",
    "ルーターが",
    "毎晩",
    "切れてしまって",
    "本当に",
    "困っているんです",
    "もう三回目です",
    "、",
    "。",
    "請求が",
    "二回来て",
    "何度も",
    "メールが届かないんです",
    "不安です",
    "いい加減にしてください",
    "えーと",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CUSTOMER_WORDS), min_size=1, max_size=25))
def test_an_english_phrase_never_turns_the_customers_words_around(words: list[str]) -> None:
    line = " ".join(words)
    for cue in emotion_cues("s", line, "en"):
        assert_sayable_english(cue.phrase, line)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(JA_PIECES), min_size=1, max_size=12))
def test_a_japanese_phrase_echoes_little_and_never_in_the_first_person(pieces: list[str]) -> None:
    line = "".join(pieces)
    for cue in emotion_cues("s", line, "ja"):
        assert "私" not in cue.phrase and "困っている" not in cue.phrase and "三回目" not in cue.phrase, (
            cue.phrase
        )
        if cue.kind is CueKind.FRUSTRATION:
            assert len(cue.phrase.split("お困りなのですね")[0]) <= 30, cue.phrase
