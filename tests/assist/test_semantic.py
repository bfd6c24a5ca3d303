"""Matching by meaning: the real bundled sentence encoder on the project's own knowledge entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist import semantic
from assist.domain import KnowledgeEntry
from assist.matching import MIN_SCORE, ConversationContext, Matcher, WeightedTerm, search_knowledge
from assist.semantic import KnowledgeVectors
from assist.store import Store

from .conftest import eval_kb


def shown(store: Store, text: str) -> list[str]:
    return [s.id for s in search_knowledge(store, text, limit=3) if s.score >= MIN_SCORE]


def test_a_paraphrase_without_the_entrys_words_brings_up_its_card(kb_store: Store) -> None:
    # Not one word of 「住所変更」 or its aliases (引っ越し, 転居, 送り先の変更) is said.
    assert shown(kb_store, "今度、新居に移るので郵便の届く場所を直したいんです")[:1] == ["ja-address-change"]
    # Nor of "Change of address" (moving, moved house, new address).
    assert shown(kb_store, "I'm relocating next week, please update where you send my bills")[:1] == [
        "en-address"
    ]


def test_a_card_found_by_meaning_names_the_title_or_alias_it_was_close_to(kb_store: Store) -> None:
    card = search_knowledge(kb_store, "払い戻しはいつ口座に入りますか", limit=1)[0]
    assert card.id == "ja-refund"
    entry = kb_store.get_knowledge("ja-refund")
    assert entry is not None and card.close_to in (entry.title, *entry.aliases)


def test_only_entries_in_the_lines_language_are_compared(store: Store) -> None:
    store.upsert_knowledge(
        [
            KnowledgeEntry(
                id="en-refund", title="Refund status", body="When money comes back.", language="en"
            ),
            KnowledgeEntry(id="ja-other", title="店舗の営業時間", body="営業時間のご案内。", language="ja"),
        ]
    )
    # The English entry means exactly this, but a Japanese line is only compared with Japanese entries.
    assert "en-refund" not in [s.id for s in search_knowledge(store, "返金はいつになりますか")]


def test_vectors_are_kept_in_the_store_and_follow_edits(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store.open(path) as store:
        store.upsert_knowledge([KnowledgeEntry(id="k1", title="Change of address", language="en")])
        vectors = KnowledgeVectors.for_store(store)
        assert vectors is not None
        steps: list[tuple[int, int]] = []
        assert vectors.refresh(progress=lambda done, total: steps.append((done, total))) == 1
        assert steps[-1] == (1, 1)
    with Store.open(path) as store:
        vectors = KnowledgeVectors.for_store(store)
        assert vectors is not None
        assert vectors.refresh() == 0  # nothing to embed again in a new process
        store.upsert_knowledge([KnowledgeEntry(id="k1", title="Late delivery", language="en")])
        assert vectors.refresh() == 1  # the edited entry is embedded again
        store.delete_knowledge("k1")
        vectors.refresh()
        assert vectors.size == 0


def test_a_large_language_is_searched_through_an_hnsw_index_kept_beside_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "EXACT_LIMIT", 10)  # the real limit is 1,000 vectors: same code path
    path = tmp_path / "s.sqlite3"
    entries = [KnowledgeEntry.from_dict(e.to_dict()) for e in eval_kb() if e.language == "ja"]
    with Store.open(path) as store:
        store.upsert_knowledge(entries)
        assert (
            search_knowledge(store, "今度新しい家に移るので届け先を直したいんですが")[0].id
            == "ja-address-change"
        )
    (built,) = tmp_path.glob("s.sqlite3.meaning-ja-*.usearch")
    stamp = built.stat().st_mtime_ns
    with Store.open(path) as store:  # a new process opens the same index instead of building it again
        vectors = KnowledgeVectors.for_store(store)
        assert vectors is not None
        vectors.refresh()
        hits = vectors.search(vectors.embed("ポイントの有効期限はいつまで"), "ja", k=3)
        assert hits[0].entry_id == "ja-point"
        assert built.stat().st_mtime_ns == stamp
        store.delete_knowledge("ja-point")
        vectors.refresh()
        assert "ja-point" not in [h.entry_id for h in vectors.search(vectors.embed("ポイント"), "ja", k=5)]
    assert not built.exists()  # replaced by the index of the changed vectors


def test_a_word_heard_with_the_wrong_characters_is_matched_by_its_sound(kb_store: Store) -> None:
    # Recognisers write the right sound with the wrong kanji, or voice a consonant: 料金 -> 両金, ルーター ->
    # ルーダー.
    assert shown(kb_store, "両金プランを変えたいんです")[:1] == ["ja-plan-change"]
    assert shown(kb_store, "ルーダーのランプが赤く光ってて")[:1] == ["ja-internet-down"]
    assert shown(kb_store, "変金はいつになりますか")[:1] == ["ja-refund"]


def test_an_english_word_the_recogniser_split_or_slipped_on_is_matched_by_its_sound(kb_store: Store) -> None:
    # The recogniser splits a word it does not know into words it does ("subscript shin", "a dress", "to
    # eyes"): run together, they sound like a word of an entry's title or aliases.
    assert shown(kb_store, "please cancel my subscript shin today")[:1] == ["en-cancel"]
    assert shown(kb_store, "I think you charged me to eyes for one order")[:1] == ["en-double-charge"]
    assert shown(kb_store, "I need to change my a dress")[:1] == ["en-address"]
    assert shown(kb_store, "my pass ward is not accepted anymore")[:1] == ["en-password"]
    # A word that only shares a sound key with a knowledge word is left as heard: shopping is not shipping.
    assert shown(kb_store, "I need help shopping for a gift") == []
    assert shown(kb_store, "is there a shop near the station") == []


def test_an_alias_of_several_words_said_word_for_word_shows_its_card(kb_store: Store) -> None:
    # "someone in charge" is one of en-escalate's aliases; by meaning and words alone the line stays below the
    # English threshold.
    assert shown(kb_store, "could I talk to someone in charge please")[:1] == ["en-escalate"]
    # One word of the alias is not the phrase.
    assert shown(kb_store, "who is in charge of the hotel pool") == []


def test_a_line_close_to_an_entry_only_through_a_shared_word_shows_no_card(kb_store: Store) -> None:
    # A hotel guest asking about wifi, a shop's point card: close to the entry through "wifi" / 「ポイント」
    # alone (before the check, both showed a card: 0.44 and 0.50 against a threshold of 0.4).
    assert shown(kb_store, "do you have wifi in the rooms?") == []
    assert "ja-point" not in shown(kb_store, "ポイントカードは作れますか")
    # The same words said about the entry's own problem still show it.
    assert shown(kb_store, "my wifi drops every few minutes")[:1] == ["en-internet"]
    assert shown(kb_store, "貯めたポイントが知らないうちに消えてたんです")[:1] == ["ja-point"]


def test_a_japanese_line_that_only_names_something_shows_only_an_entry_it_names(kb_store: Store) -> None:
    # A lone noun is mostly an answer to the agent's question: before, 「メールアドレス」 showed the password
    # card (its body names the address the link goes to) and 「キャンセル料は？」 the refund card.
    assert shown(kb_store, "メールアドレス") == []
    assert shown(kb_store, "えーと、キャンセル料は？") == []
    # A title or alias said whole, or a concept of the thesaurus an entry's title names, still shows it.
    assert shown(kb_store, "住所変更です") == ["ja-address-change"]
    assert shown(kb_store, "解約で") == ["ja-cancel"]
    assert shown(kb_store, "二重請求です") == ["ja-double-bill"]
    # The topic said alone, as an answer to "what is it about?", brings up the entry about it (these showed
    # nothing once lone nouns were held back: the card's own score sat under the threshold or was held too).
    assert shown(kb_store, "パスワードです")[:1] == ["ja-password"]
    assert shown(kb_store, "返金")[:1] == ["ja-refund"]
    assert shown(kb_store, "アプリ")[:1] == ["ja-app-crash"]
    assert shown(kb_store, "解約")[:1] == ["ja-cancel"]


def test_an_english_line_of_one_or_two_words_brings_up_the_entry_that_names_them(kb_store: Store) -> None:
    # One word's sentence vector is a poor guide: "refund" sat closer to "receipt" and showed the invoice
    # card alone; the refund card, whose title says the word, stayed under the threshold.
    assert shown(kb_store, "refund") == ["en-refund-status"]
    assert shown(kb_store, "um, refund") == ["en-refund-status"]
    assert shown(kb_store, "order") == ["en-delivery"]
    # A word of every call names no topic, and a line that asks something is matched as before.
    assert shown(kb_store, "thanks for your help") == []
    assert shown(kb_store, "my card got charged two times for the same bill")[:1] == ["en-double-charge"]


def test_a_japanese_word_found_only_in_an_entrys_body_does_not_carry_its_card_alone(kb_store: Store) -> None:
    # 「メールアドレス」 is in the password card's body only; the line asks something else (before: the card
    # showed at 0.87 on the word alone).
    assert shown(kb_store, "メールアドレスって大文字と小文字を区別しますか") == []
    # A body word in a line close in meaning to the entry still helps it show (「失効」, the points card).
    assert shown(kb_store, "貯めてたのがいつの間にか失効しちゃってたんです")[:1] == ["ja-point"]


def test_an_english_word_found_only_in_an_entrys_body_does_not_carry_its_card_alone(kb_store: Store) -> None:
    kb_store.upsert_knowledge(
        [
            KnowledgeEntry(
                id="page-logs",
                title="Turn on verbose logging",
                body="Send the log to the helpdesk.",
                language="en",
            )
        ]
    )
    # "helpdesk" and "send" are in the logging page's body only; the line is about something else (before: the
    # page showed at 0.42 on those words alone).
    assert shown(kb_store, "I want to leave a review for the helpdesk, where do I send it?") == []
    # A line about what the page is for still shows it.
    assert shown(kb_store, "can you turn on logging for my account")[:1] == ["page-logs"]


def test_an_english_line_naming_a_title_in_its_own_word_forms_shows_the_card(kb_store: Store) -> None:
    # A knowledge base where "password" is in many titles: the word alone says little, and what the line says
    # besides "reset" and "password" ("I need to my") is close to nothing. The line still names the title
    # "Reset a password" whole (all but its "a"); before, the card did not show and a device's password page
    # ranked first.
    pages = [
        (
            "Set a password on a work laptop",
            "Choose a password of at least twelve characters at first start.",
        ),
        ("Password rules for company devices", "A password must mix letters and numbers."),
        ("Store a password in the browser", "The browser can remember a password for each site."),
        (
            "Share a Wi-Fi password with a guest",
            "Print the guest network's password card from the router page.",
        ),
        ("Reset the router to factory settings", "Hold the reset button for ten seconds."),
        ("Reset a smart TV", "Unplug the TV for a minute, then restart it from the settings menu."),
    ]
    devices = [
        "tablet",
        "printer",
        "smart watch",
        "game console",
        "router",
        "e-reader",
        "car screen",
        "TV box",
    ]
    pages += [(f"Password help for the {d}", f"How to change the password on a {d}.") for d in devices]
    kb_store.upsert_knowledge(
        [KnowledgeEntry(id=f"page-{n}", title=t, body=b, language="en") for n, (t, b) in enumerate(pages)]
    )
    assert shown(kb_store, "I need to reset my password.")[:1] == ["en-password"]
    # "a dress" heard for "address": the mended line names "Change of address" (before: the password card).
    assert shown(kb_store, "I need to change my a dress on the account.")[:1] == ["en-address"]
    # An alias of one word and small words ("where is my order") is not named by its one word.
    assert shown(kb_store, "can I order from Dublin") == []


def test_an_english_paraphrase_that_shares_no_word_with_its_entry_is_shown(kb_store: Store) -> None:
    # Not one word of "Late delivery" or its aliases; before the shared-word check the English threshold had
    # to stay above such lines (0.40 against 0.4).
    assert shown(kb_store, "the parcel still hasn't shown up after ten days")[:1] == ["en-delivery"]
    # Said about a parcel, but a question of a shop's opening hours, not a late delivery.
    assert shown(kb_store, "what time does the parcel shop open on sundays") == []


def test_everyday_call_talk_that_asks_for_nothing_shows_no_card(kb_store: Store) -> None:
    # 「いいえ、それ以外はありません」 ("no, nothing else") is as close to 「配送の遅れ」 as a customer's
    # question would be: before the call-talk check it showed that card (0.45 against a threshold of 0.4).
    assert shown(kb_store, "いいえ、それ以外はありません") == []
    assert shown(kb_store, "それでは、失礼いたします") == []
    assert shown(kb_store, "thank you so much, that really helped") == []
    # Questions said in the same spoken style still show their cards.
    assert shown(kb_store, "頼んだものがいつまで待っても届かなくて")[:1] == ["ja-delivery-delay"]
    assert shown(kb_store, "返金っていつ頃になりますか")[:1] == ["ja-refund"]


def _cards_after(store: Store, lines: list[str]) -> list[tuple[str, float]]:
    """The cards for the last of ``lines`` said one after another by the customer, as a call ranks them."""
    matcher = Matcher(store)
    context = ConversationContext(matcher.cut)
    cards: list[tuple[str, float]] = []
    for line in lines:
        context.add("customer", line)
        latest = [WeightedTerm(t, 1.0) for t in dict.fromkeys(matcher.cut(line))]
        found = matcher.knowledge(
            context.weighted_terms(), limit=3, text=line, also=[latest], context_text=context.customer_text()
        )
        cards = [(c.id, c.score) for c in found]
    return cards


def test_call_talk_carries_no_card_into_the_next_line(kb_store: Store) -> None:
    # 「いいえ、それ以外はありません」 is 0.41 from 「配送の遅れ」 by meaning. Before its closeness was
    # lowered as call talk for the next line too, that card led the next line's ranking at 0.38 (threshold
    # 0.4), on a line that says nothing of a delivery.
    follow = "いつ頃になりそうか教えてください"
    assert _cards_after(kb_store, ["いいえ、それ以外はありません", follow]) == _cards_after(
        kb_store, [follow]
    )
    # A question's topic still carries into the next line.
    moving = "今度、新居に移るので郵便の届く場所を直したいんです"
    assert _cards_after(kb_store, [moving, "いつまでに言えばいいですか"])[0][0] == "ja-address-change"


def test_the_call_talk_lines_are_read_from_the_editable_resource() -> None:
    for language in ("ja", "en"):
        lines = semantic.call_talk_lines(language)
        assert len(lines) > 50
        assert not [line for line in lines if line.startswith("#") or not line.strip()]
    assert "ありがとうございます" in semantic.call_talk_lines("ja")
    assert semantic.call_talk_lines("fr") == []  # a language without a file has no call talk


def test_the_line_is_mended_as_the_knowledge_base_writes_its_words(kb_store: Store) -> None:
    matcher = Matcher(kb_store)
    terms, mended = matcher.by_sound("I need to change my a dress")
    assert mended == "i need to change my address"
    assert "address" in [t.term for t in terms]
    assert matcher.by_sound("I need to change my address") == ([], "I need to change my address")
    assert matcher.by_sound("両金プランを変えたいんです")[1] == "料金プランを変えたいんです"


def test_a_helped_card_keeps_the_line_that_brought_it_as_an_example(kb_store: Store) -> None:
    from assist.domain import FeedbackAction
    from assist.session import CallSession
    from audio.events import Channel, EventKind, TranscriptEvent

    session = CallSession(kb_store, "call-helped", None, "ja")
    line = "キャンセルした分のお金っていつ戻りますか"
    event = TranscriptEvent("call-helped", Channel.CUSTOMER, EventKind.FINAL, 0.0, 1.0, line, 0.9, "s1")
    cards = session.feed(event).suggestions
    assert "ja-refund" in [c.id for c in cards]
    session.feedback("ja-refund", FeedbackAction.HELPED)
    stored = kb_store.conn.execute("SELECT entry_id, text FROM knowledge_examples").fetchall()
    assert stored == [("ja-refund", line)]
    vectors = KnowledgeVectors.for_store(kb_store)
    assert vectors is not None
    near = vectors.example_similarities(vectors.embed("キャンセル分のお金はいつ戻るんですか"), "ja")
    assert max(near, key=near.__getitem__) == "ja-refund"


def test_an_erasure_naming_the_call_takes_its_helped_example_from_the_index_in_memory_too(
    kb_store: Store,
) -> None:
    from assist.domain import FeedbackAction
    from assist.privacy import erase_customer
    from assist.session import CallSession
    from audio.events import Channel, EventKind, TranscriptEvent

    # An unknown caller's line, marked "Helped", becomes an example the matcher compares every later line to.
    session = CallSession(kb_store, "call-walk-in", None, "ja")
    line = "キャンセルした分のお金っていつ戻りますか"
    event = TranscriptEvent("call-walk-in", Channel.CUSTOMER, EventKind.FINAL, 0.0, 1.0, line, 0.9, "s1")
    assert "ja-refund" in [c.id for c in session.feed(event).suggestions]
    session.feedback("ja-refund", FeedbackAction.HELPED)
    session.save(session.wrap_up())
    vectors = KnowledgeVectors.for_store(kb_store)
    assert vectors is not None
    asked = vectors.embed("キャンセル分のお金はいつ戻るんですか")
    assert "ja-refund" in vectors.example_similarities(asked, "ja")

    # The team erases the caller it knew from this call (unknown here) and names the call.
    report = erase_customer(kb_store, "walk-in-7", call_ids=["call-walk-in"])

    assert report.rows["knowledge_examples"] == 1 and report.rows["segments"] == 1
    assert kb_store.get_call("call-walk-in") is None
    assert vectors.example_similarities(asked, "ja") == {}  # her line is no longer compared against
