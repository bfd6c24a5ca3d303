from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from assist.customers import UnknownCustomerError, customer_context
from assist.domain import (
    CallRecord,
    ChangeKind,
    CueKind,
    Customer,
    Disposition,
    FeedbackAction,
    FollowUp,
    KnowledgeEntry,
    Note,
    NoteKind,
    SuggestionKind,
    TriggerRule,
)
from assist.session import MAX_CARDS, CallSession, UnknownSuggestionError
from assist.store import Store
from audio.events import Channel, EventKind, TranscriptEvent

from .conftest import FakeClock

_ids = count()


def said(session: CallSession, text: str, channel: Channel = Channel.CUSTOMER, final: bool = True):  # type: ignore[no-untyped-def]
    n = next(_ids)
    kind = EventKind.FINAL if final else EventKind.PARTIAL
    return session.feed(TranscriptEvent(session.call_id, channel, kind, n, n + 1.0, text, 0.9, f"seg-{n}"))


def ids(session: CallSession) -> list[str]:
    return [s.id for s in session.suggestions]


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("えーと、あのー、もう解約したいんですけど", "ja-cancel"),
        ("請求所をなくしちゃって、もう一回送ってもらえますか", "ja-invoice-reissue"),  # 請求書 misrecognised
        ("ネットが全然つながらないんですよ、ルーターのランプが赤くて", "ja-internet-down"),
        ("um so uh I'd like to cancel my subscription", "en-cancel"),
        (
            "um I can't sign in it says my pass word is wrong",
            "en-password",
        ),  # "password" split by the recogniser
        ("we moved house so the billing address is wrong now", "en-address"),
    ],
)
def test_what_the_customer_says_brings_up_the_fitting_entry(
    kb_store: Store, clock: FakeClock, utterance: str, expected: str
) -> None:
    session = CallSession(kb_store, "call", None, "", clock=clock)
    update = said(session, utterance)
    assert update.suggestions and update.suggestions[0].id == expected
    top = update.suggestions[0]
    assert top.kind is SuggestionKind.KNOWLEDGE and top.matched_terms and top.score > 0 and top.reason


def test_small_talk_shows_no_cards(kb_store: Store, clock: FakeClock) -> None:
    session = CallSession(kb_store, "call", None, "ja", clock=clock)
    for line in ("お電話ありがとうございます", "はい、よろしくお願いします", "hello, how are you today"):
        assert said(session, line).suggestions == ()


def test_partials_are_shown_but_neither_stored_nor_matched(kb_store: Store, clock: FakeClock) -> None:
    session = CallSession(kb_store, "call", None, "ja", clock=clock)
    update = said(session, "解約したいんですけど", final=False)
    assert update.suggestions == () and kb_store.segments_for("call") == []


def test_the_customers_latest_words_weigh_more_than_the_agents(kb_store: Store, clock: FakeClock) -> None:
    session = CallSession(kb_store, "call", None, "ja", clock=clock)
    said(session, "ご住所の確認をさせていただきます", Channel.AGENT)
    update = said(session, "パスワードを忘れてログインできないんです")
    assert update.suggestions[0].id == "ja-password"


def test_cards_stay_calm_no_flicker_and_at_most_a_handful(kb_store: Store, clock: FakeClock) -> None:
    session = CallSession(kb_store, "call", None, "ja", clock=clock)
    said(session, "パスワードを忘れてログインできないんです")
    assert ids(session)[0] == "ja-password"
    # A passing remark that touches another entry does not push the password card off the top.
    said(session, "あとメールも来てないかも")
    assert ids(session)[0] == "ja-password"
    # The conversation moving through many topics never shows more than a handful of cards.
    for line in (
        "解約も考えてます",
        "請求書も届かないし",
        "住所も変わったんです",
        "アプリも落ちるし",
        "ポイントも消えた",
    ):
        said(session, line)
        assert len(session.suggestions) <= MAX_CARDS
    # Long after the password talk, with several new topics, the old card has faded away.
    assert "ja-password" not in ids(session)


def test_a_dismissed_card_sleeps_for_a_cooldown(kb_store: Store, clock: FakeClock) -> None:
    session = CallSession(kb_store, "call", None, "en", clock=clock)
    said(session, "I'd like to cancel my subscription")
    assert "en-cancel" in ids(session)
    session.dismiss("en-cancel")
    assert "en-cancel" not in ids(session)
    said(session, "yes I really want to cancel the subscription")
    assert "en-cancel" not in ids(session)
    clock.advance(minutes=4)
    said(session, "so can you cancel my subscription please")
    assert "en-cancel" in ids(session)
    actions = kb_store.conn.execute(
        "SELECT action FROM suggestion_feedback WHERE target_id = 'en-cancel' ORDER BY rowid"
    ).fetchall()
    assert [a[0] for a in actions] == ["shown", "dismissed", "shown"]


def test_feedback_is_recorded_and_unknown_cards_are_refused(kb_store: Store, clock: FakeClock) -> None:
    session = CallSession(kb_store, "call", None, "en", clock=clock)
    said(session, "my package hasn't arrived yet")
    session.feedback("en-delivery", FeedbackAction.USED)
    session.feedback("en-delivery", "helped")
    with pytest.raises(UnknownSuggestionError):
        session.feedback("never-shown", FeedbackAction.USED)
    rows = kb_store.conn.execute(
        "SELECT action FROM suggestion_feedback WHERE target_id='en-delivery'"
    ).fetchall()
    assert sorted(r[0] for r in rows) == ["helped", "shown", "used"]
    assert session.wrap_up().actions == "Late delivery"


def test_trigger_rule_brings_up_the_retention_script(kb_store: Store, clock: FakeClock) -> None:
    kb_store.upsert_knowledge(
        [KnowledgeEntry(id="retention", title="引き止めトーク", body="特典のご案内を先に")]
    )
    kb_store.upsert_trigger_rule(TriggerRule(id="r1", phrases=("解約",), entry_id="retention"))
    session = CallSession(kb_store, "call", None, "ja", clock=clock)
    update = said(session, "えーと、かいやく、じゃなくて解約をお願いしたいんです")
    assert update.suggestions[0].id == "retention"
    assert update.suggestions[0].reason == "rule:r1" and update.suggestions[0].matched_terms == ("解約",)


def test_the_customers_own_notes_calls_and_promises_are_suggested(kb_store: Store, clock: FakeClock) -> None:
    kb_store.upsert_customer(Customer(id="c1", name="山田 太郎"))
    kb_store.upsert_note(Note("n1", "c1", "ルーターは先月交換済み。再起動の手順は説明済み", author="佐藤"))
    kb_store.upsert_call(
        CallRecord(
            id="old",
            customer_id="c1",
            agent="佐藤",
            started_at="2026-10-01T09:00:00+00:00",
            summary="二重請求の返金を案内した",
        )
    )
    kb_store.upsert_follow_up(
        FollowUp(id="f1", customer_id="c1", text="返金の振込を確認して連絡", due="2026-11-20")
    )
    session = CallSession(kb_store, "call", "c1", "ja", clock=clock)
    kinds = {
        s.kind: s.id
        for s in said(session, "またルーターのランプが赤くてネットがつながらないんです").suggestions
    }
    assert kinds.get(SuggestionKind.NOTE) == "n1"
    kinds = {s.kind: s.id for s in said(session, "あと先月の二重請求の返金ってどうなってますか").suggestions}
    assert kinds.get(SuggestionKind.CALL) == "old" or kinds.get(SuggestionKind.FOLLOW_UP) == "f1"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("何度も電話してるのに、まだ直らないんですよ", CueKind.FRUSTRATION),
        ("ふざけないでください、責任者を出してください", CueKind.ANGER),
        ("来週までに間に合うか心配で、大丈夫でしょうか", CueKind.ANXIETY),
        ("this is the third time I'm calling about this", CueKind.FRUSTRATION),
        ("this is unacceptable, I want to speak to a manager", CueKind.ANGER),
        ("I'm really worried, will it be okay", CueKind.ANXIETY),
    ],
)
def test_feelings_in_the_customers_words_bring_an_empathy_phrase(
    store: Store, clock: FakeClock, line: str, kind: CueKind
) -> None:
    session = CallSession(store, "call", None, "", clock=clock)
    cues = said(session, line).cues
    assert [c.kind for c in cues] == [kind]
    assert cues[0].phrase and cues[0].trigger in line.lower()


def test_frustration_phrase_echoes_the_issue_in_japanese(store: Store, clock: FakeClock) -> None:
    session = CallSession(store, "call", None, "ja", clock=clock)
    cue = said(session, "えーと、何度もメールが届かないんです").cues[0]
    assert cue.phrase.startswith("メールが届かないということで、お困りなのですね")


def test_the_same_feeling_is_not_cued_on_every_line(store: Store, clock: FakeClock) -> None:
    session = CallSession(store, "call", None, "en", clock=clock)
    assert said(session, "this keeps happening again and again").cues
    assert not said(session, "again, it's so frustrating").cues


def test_calm_lines_and_agent_lines_bring_no_emotion_cue(store: Store, clock: FakeClock) -> None:
    session = CallSession(store, "call", None, "ja", clock=clock)
    assert said(session, "住所を変更したいです").cues == ()
    assert said(session, "何度もお電話いただき申し訳ございません", Channel.AGENT).cues == ()


@pytest.mark.parametrize(
    ("promise", "due"),
    [
        ("確認して明日折り返しご連絡します", date(2026, 11, 19)),
        ("本日中にお電話いたします", date(2026, 11, 18)),
        ("来週の月曜日にご連絡いたします", date(2026, 11, 23)),
        ("3営業日以内に書類をお送りします", date(2026, 11, 23)),
        ("I'll call you back tomorrow", date(2026, 11, 19)),
        ("I will email you the label by Friday", date(2026, 11, 20)),
        ("we'll get back to you", date(2026, 11, 19)),
    ],
)
def test_an_agent_promise_proposes_a_follow_up_with_a_due_date(
    store: Store, clock: FakeClock, promise: str, due: date
) -> None:
    session = CallSession(store, "call", "c9", "", clock=clock)
    cues = said(session, promise, Channel.AGENT).cues
    assert [c.kind for c in cues] == [CueKind.PROMISE]
    follow_up = cues[0].follow_up
    assert follow_up is not None and follow_up.due == due.isoformat()
    assert follow_up.customer_id == "c9" and follow_up.call_id == "call" and follow_up.text == promise


def test_wrap_up_is_prefilled_and_saved_call_shows_in_the_customer_context(
    kb_store: Store, clock: FakeClock
) -> None:
    kb_store.upsert_customer(
        Customer(
            id="c1",
            name="山田 太郎",
            traits=("パソコン操作に不慣れ",),
            preferred_language="ja",
            updated_at="2026-01-01T00:00:00+00:00",
        )
    )
    session = CallSession(kb_store, "call-1", "c1", "ja", clock=clock, agent="佐藤")
    said(session, "お電話ありがとうございます", Channel.AGENT)
    said(session, "請求書がまだ届いてないんですけど")
    said(session, "確認して明日折り返しご連絡します", Channel.AGENT)
    wrap = session.wrap_up()
    assert wrap.issue == "請求書の再発行"
    # A note, not the words said: the customer's issue in plain form, the promise without its humble form.
    assert (
        "請求書が届いてない" in wrap.summary
        and "折り返し連絡する（期限: 2026年11月19日（木））" in wrap.summary
    )
    assert wrap.disposition is Disposition.FOLLOW_UP and wrap.due == "2026-11-19"
    assert "請求" in wrap.tags and len(wrap.follow_ups) == 1
    edited = type(wrap).from_dict(wrap.to_dict() | {"summary": wrap.summary + "\n(お客様は急ぎ)"})
    record = session.save(edited)
    assert record.summary.endswith("(お客様は急ぎ)") and record.ended_at

    clock.advance(days=1)
    kb_store.upsert_note(
        Note(
            "n-after",
            "c1",
            "折り返し済み、再送した",
            kind=NoteKind.NEXT_ACTION,
            created_at="2026-11-19T09:00:00+00:00",
        )
    )
    context = customer_context(kb_store, "c1")
    assert context.traits == ("パソコン操作に不慣れ",) and context.preferred_language == "ja"
    assert [c.call_id for c in context.last_contacts] == ["call-1"]
    assert context.last_contacts[0].agent == "佐藤" and "請求書" in context.last_contacts[0].summary
    assert [f.due for f in context.open_follow_ups] == ["2026-11-19"]
    assert [(c.kind, c.ref_id) for c in context.changed_since_last_contact] == [
        (ChangeKind.NOTE_ADDED, "n-after")
    ]
    assert context.to_dict()["customer"]["id"] == "c1"
    with pytest.raises(UnknownCustomerError):
        customer_context(kb_store, "nobody")


def test_wrap_up_of_a_quiet_call_is_resolved_without_promises(store: Store, clock: FakeClock) -> None:
    session = CallSession(store, "call", None, "en", clock=clock)
    said(session, "I just wanted to say the new app works great")
    wrap = session.wrap_up()
    assert wrap.disposition is Disposition.RESOLVED and wrap.follow_ups == () and wrap.due == ""
    assert wrap.summary == "Issues:\n- Customer just wanted to say the new app works great."


def test_the_second_pass_over_a_turn_rewrites_the_record_but_not_the_cards(
    kb_store: Store, clock: FakeClock
) -> None:
    session = CallSession(kb_store, "call", None, "ja", clock=clock)

    def final(
        seg: str, start: float, end: float, text: str, revised: bool = False, into: str = ""
    ) -> TranscriptEvent:
        return TranscriptEvent(
            "call",
            Channel.CUSTOMER,
            EventKind.FINAL,
            start,
            end,
            text,
            0.9,
            seg,
            revised=revised,
            merged_into=into,
        )

    session.feed(final("t1", 1.0, 3.0, "ネットが全然"))
    session.feed(final("t2", 3.6, 6.0, "何度もつながらないんですよ"))
    cards, cues = ids(session), session.cues
    assert [c.segment_id for c in cues] == ["t2"]  # the frustration was heard on the second line

    update = session.feed(final("t1", 1.0, 6.0, "ネットが全然、何度もつながらないんですよ", revised=True))
    session.feed(final("t2", 3.6, 6.0, "", revised=True, into="t1"))

    assert [(s.segment_id, s.start, s.end, s.text) for s in kb_store.segments_for("call")] == [
        ("t1", 1.0, 6.0, "ネットが全然、何度もつながらないんですよ")
    ]
    assert update.cues == () and session.cues == cues and ids(session) == cards  # nothing new was said
    # the cue now points at the line that holds its words, and search finds that line
    assert [
        r[0] for r in kb_store.conn.execute("SELECT segment_id FROM call_cues WHERE call_id = 'call'")
    ] == ["t1"]
    assert [hit.segment_id for hit in kb_store.search_segments("つながらない")] == ["t1"]


def test_a_corrected_line_is_stored_with_what_the_recognizer_wrote_masked_like_the_line(
    kb_store: Store, clock: FakeClock
) -> None:
    session = CallSession(kb_store, "call-fix", None, "ja", clock=clock)
    heard = TranscriptEvent(
        "call-fix",
        Channel.CUSTOMER,
        EventKind.FINAL,
        1.0,
        3.0,
        "料金のカードは4111 1111 1111 1111です",
        0.9,
        "seg-fix",
        corrections=("両金 -> 料金", "4111 1111 1111 1111 -> 4111 1111 1111 1111"),
    )
    session.feed(heard)
    (line,) = kb_store.segments_for("call-fix")
    assert line.text.startswith("料金のカード") and "1111" not in line.text
    assert line.corrections[0] == "両金 -> 料金"
    assert "1111" not in line.corrections[1]
    assert kb_store.search_segments("料金")[0].corrections == line.corrections
