from __future__ import annotations

import json

import pytest

from assist.domain import KnowledgeEntry
from assist.matching import MIN_SCORE, reasons, search_knowledge
from assist.store import Store
from assist.text import (
    Analyzer,
    english_sound_key,
    named_thing,
    names_only,
    normalize,
    spelled_alike,
    stem,
    terms,
)

from .conftest import DATA


def test_the_evaluation_set_finds_the_right_entry_in_the_top_three(kb_store: Store) -> None:
    rows = [
        json.loads(line) for line in (DATA / "eval_utterances.jsonl").read_text("utf-8").splitlines() if line
    ]
    by_language: dict[str, list[int]] = {"ja": [], "en": []}
    for row in rows:
        ranked = [s.id for s in search_knowledge(kb_store, row["text"], limit=3)]
        by_language[row["expected"][:2]].append(int(row["expected"] in ranked))
    for language, hits in by_language.items():
        assert sum(hits) / len(hits) >= 0.9, f"{language}: hit@3 {sum(hits)}/{len(hits)}"


def test_japanese_matches_without_spaces_and_ignores_fillers() -> None:
    assert terms("えーと、あのー、請求書") == terms("請求書")
    assert "解約" in terms("解約したいんですけど")
    assert "メール" in terms("メールが来ない")  # loanwords also count whole


def test_width_and_case_are_normalised() -> None:
    assert normalize("ＰＡＳＳＷＯＲＤ　ｶｰﾄﾞ") == "password カード"
    assert terms("ＷｉーＦｉ") == terms("wi-fi")


@pytest.mark.parametrize(
    ("variants", "shared"),
    [
        (("cancel", "cancelled", "cancelling", "cancels"), "cancel"),
        (("charge", "charged", "charges", "charging"), "charg"),
        (("refund", "refunds", "refunded"), "refund"),
        (("address", "addresses"), "address"),
    ],
)
def test_english_word_forms_meet_at_one_stem(variants: tuple[str, ...], shared: str) -> None:
    assert {stem(v) for v in variants} == {shared}


def test_aliases_count_for_matching(store: Store) -> None:
    store.upsert_knowledge(
        [
            KnowledgeEntry(
                id="k1", title="Subscription ending", body="Steps to end a contract.", aliases=("quit",)
            ),
            KnowledgeEntry(id="k2", title="Delivery", body="Tracking a parcel."),
        ]
    )
    assert search_knowledge(store, "I want to quit")[0].id == "k1"


def test_stores_remember_their_analyser(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "s.sqlite3"
    Store.open(path, analyzer=Analyzer.HYBRID).close()
    with Store.open(path) as again:
        assert again.analyzer is Analyzer.HYBRID


@pytest.mark.parametrize(
    ("heard", "meant"),
    [("subscriptshin", "subscription"), ("adress", "address"), ("toeyes", "twice"), ("acount", "account")],
)
def test_english_words_run_together_share_the_sound_key_of_the_word_meant(heard: str, meant: str) -> None:
    assert english_sound_key(heard) == english_sound_key(meant)


def test_a_lone_word_is_a_slip_only_when_spelled_nearly_alike() -> None:
    assert english_sound_key("bloody") == english_sound_key("billed")  # both PLT
    assert not spelled_alike("bloody", "billed")
    assert spelled_alike("oredr", "order") and spelled_alike("servcies", "services")


def test_a_reason_names_the_word_without_the_comma_a_filler_left(kb_store: Store) -> None:
    # 「はい、」 is a filler: once it is taken out, the tokenizer saw 「、メールアドレス」 as one word.
    cards = search_knowledge(kb_store, "はい、メールアドレスを変えたいんですけど", limit=5)
    said = [word for card in cards for word in card.matched_terms]
    assert "メールアドレス" in said
    assert not [word for word in said if word[0] in "、。，,. " or word[-1] in "、。，,. "]


def test_a_long_paraphrase_just_below_the_threshold_shows_through_the_learned_second_look(
    kb_store: Store,
) -> None:
    # Lines written for this test. Each right card ranked first below the show threshold without the learned
    # show model (resources/matching/show_model.json): 0.28 and 0.39 against 0.4.
    for text, expected in (
        ("The coffee machine we got from you came with a big crack down the side of the jug.", "en-return"),
        (
            "Nothing in the house will connect to the web since the storm last night, even after restarting "
            "the box.",
            "en-internet",
        ),
    ):
        shown = [s for s in search_knowledge(kb_store, text, limit=3) if s.score >= MIN_SCORE]
        assert [s.id for s in shown][:1] == [expected], text
        assert reasons(shown[0]), text
    # A long line that is about none of the entries stays without a card.
    text = (
        "I was wondering whether you could tell me what time your shop on the high street opens on a Sunday."
    )
    assert not [s for s in search_knowledge(kb_store, text, limit=3) if s.score >= MIN_SCORE]


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("メールアドレス", True),
        ("えーと、キャンセル料は？", True),
        ("ホテルのWi-Fi", True),
        ("解約です", True),
        ("Wi-Fiはありますか？", False),
        ("ルーターって買い取りですか", False),
        ("キャンセル料っていくらですか", False),
        ("いいえ、大丈夫です", False),
        ("メールが届かないんです", False),
        ("my email address", False),
    ],
)
def test_a_japanese_line_names_only_when_it_says_nothing_about_the_noun(line: str, names: bool) -> None:
    assert names_only(line) is names


@pytest.mark.parametrize(
    ("line", "thing"),
    [
        ("えーと、キャンセル料は？", "キャンセル料"),
        ("解約です", "解約"),
        ("ホテルのWi-Fi", "ホテルのwi-fi"),
        ("Wi-Fiはありますか？", ""),
    ],
)
def test_a_japanese_line_that_only_names_something_says_what_it_names(line: str, thing: str) -> None:
    assert named_thing(line) == thing
