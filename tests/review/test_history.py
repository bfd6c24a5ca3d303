"""After-call search and the call list, in Japanese (no spaces) and English (stemming), with highlights."""

from __future__ import annotations

import pytest

from assist.history import CallFilter, CallHistory, HitKind, SearchQuery, highlight_spans, mark
from assist.store import Store
from assist.text import Analyzer
from tests.review.conftest import TANAKA_SECRET, fill


def _search(store: Store, text: str, **kw: object) -> list[str]:
    result = CallHistory(store).search(SearchQuery(text, **kw))  # type: ignore[arg-type]
    return [h.marked() for h in result.hits]


def test_japanese_without_spaces_finds_the_line_and_highlights_the_word(store: Store) -> None:
    result = CallHistory(store).search(SearchQuery("請求書", kinds=frozenset({HitKind.TRANSCRIPT})))
    assert [h.marked() for h in result.hits] == ["えーと、先月の[請求書]がまだ届いていないんですけど"]
    hit = result.hits[0]
    assert (hit.call_id, hit.ref_id, hit.channel, hit.start) == ("call-ja-1", "s01", "customer", 3.0)


def test_japanese_spoken_style_and_fillers_still_match(store: Store) -> None:
    assert _search(store, "解約したい", kinds=frozenset({HitKind.TRANSCRIPT})) == [
        "あのー、[解約]したいんですが"
    ]


def test_japanese_does_not_confuse_similar_words(store: Store) -> None:
    # 解約 (cancel) and 契約 (contract) share a character but are different words.
    lines = _search(store, "契約", kinds=frozenset({HitKind.TRANSCRIPT}))
    assert lines == ["ご[契約]の内容を確認させてください"]


def test_part_of_a_katakana_compound_is_found(store: Store) -> None:
    assert _search(store, "ショッピング", kinds=frozenset({HitKind.TRANSCRIPT})) == [
        "イオン板橋[ショッピング]センターの近くに引っ越すので"
    ]


def test_english_stemming_meets_tense_and_plural(store: Store) -> None:
    for query in ("cancel", "cancelling", "CANCELLED"):
        assert _search(store, query, kinds=frozenset({HitKind.TRANSCRIPT})) == [
            "I [cancelled] my zanzibarian subscription but was still charged"
        ], query
    lines = _search(store, "charge", kinds=frozenset({HitKind.TRANSCRIPT}))
    assert lines == [
        "I'm sorry about that, I will refund the [charges] and call you back tomorrow",
        "I cancelled my zanzibarian subscription but was still [charged]",
    ]


def test_every_space_separated_word_must_occur(store: Store) -> None:
    assert _search(store, "refund tomorrow", kinds=frozenset({HitKind.TRANSCRIPT})) == [
        "I'm sorry about that, I will [refund] the charges and call you back [tomorrow]"
    ]
    assert _search(store, "refund 請求書") == []


def test_summaries_and_notes_are_searched_too(store: Store) -> None:
    result = CallHistory(store).search(SearchQuery(TANAKA_SECRET))
    kinds = [h.kind for h in result.hits]
    assert kinds == [HitKind.TRANSCRIPT, HitKind.NOTE]
    assert result.of_kind(HitKind.NOTE)[0].marked() == f"[{TANAKA_SECRET}]の件で以前も問い合わせあり"
    summary = CallHistory(store).search(SearchQuery("引き止め"))
    assert [(h.kind, h.call_id) for h in summary.hits] == [(HitKind.SUMMARY, "call-ja-2")]
    assert _search(store, "tomorrow", kinds=frozenset({HitKind.SUMMARY})) == [
        "Invoice missing; will call back.\nCall back [tomorrow]"
    ]


def test_filters_narrow_the_search(store: Store) -> None:
    # Summaries, next actions and tags are searched: call-ja-2 is tagged 請求.
    everyone = CallHistory(store).search(SearchQuery("請求", kinds=frozenset({HitKind.SUMMARY})))
    assert everyone.call_ids() == ["call-ja-2", "call-ja-1"]
    sato = CallHistory(store).search(SearchQuery("解約", filter=CallFilter(agent="sato")))
    assert set(sato.call_ids()) == {"call-ja-2"}
    suzuki = CallHistory(store).search(SearchQuery("解約", filter=CallFilter(agent="suzuki")))
    assert suzuki.hits == ()
    march_2 = CallFilter(since="2026-03-02", until="2026-03-02")
    assert CallHistory(store).search(SearchQuery("請求書", filter=march_2)).call_ids() == ["call-ja-1"]
    later = CallFilter(since="2026-03-05")
    assert CallHistory(store).search(SearchQuery("請求書", filter=later)).hits == ()
    smith = CallFilter(customer_id="cust-smith")
    assert _search(store, "cancel", filter=smith) == [
        "I [cancelled] my zanzibarian subscription but was still charged",
        "Prefers e-mail; [cancelling] is a sensitive topic",
    ]
    tag = CallFilter(tag="解約")
    assert CallHistory(store).search(SearchQuery("確認", filter=tag)).call_ids() == ["call-ja-2"]


@pytest.mark.parametrize("text", ['"', "AND", "(請求 OR", "NEAR(a b)", "*", "   ", "えーと", "the"])
def test_odd_input_never_errors(store: Store, text: str) -> None:
    CallHistory(store).search(SearchQuery(text))


def test_call_list_newest_first_with_filters_and_durations(store: Store) -> None:
    history = CallHistory(store)
    items = history.calls()
    assert [i.call.id for i in items] == ["call-ja-2", "call-en-1", "call-ja-1"]
    assert items[0].customer_name == "田中花子"
    assert items[0].duration_seconds == 600
    assert [i.call.id for i in history.calls(CallFilter(tag="請求"))] == ["call-ja-2", "call-ja-1"]
    assert [i.call.id for i in history.calls(CallFilter(disposition="follow_up"))] == ["call-en-1"]
    assert [i.call.id for i in history.calls(CallFilter(customer_id="cust-tanaka", since="2026-03-05"))] == [
        "call-ja-2"
    ]
    assert [i.call.id for i in history.calls(CallFilter(language="en"))] == ["call-en-1"]
    assert history.tags() == ["billing", "解約", "請求"]
    assert history.agents() == ["sato", "suzuki"]
    assert [i.call.id for i in history.calls(limit=1, offset=1)] == ["call-en-1"]


def test_highlight_maps_back_to_the_original_characters() -> None:
    # Full-width letters and half-width katakana are normalised for matching but highlighted as written.
    text = "ＣＡＮＣＥＬされた件とｶｲﾔｸの件"
    spans = highlight_spans(text, ["cancel"])
    assert mark(text, spans) == "[ＣＡＮＣＥＬ]された件とｶｲﾔｸの件"
    assert mark("請求書と請求", highlight_spans("請求書と請求", ["請求", "求書"])) == "[請求書]と[請求]"


@pytest.mark.parametrize("analyzer", list(Analyzer))
def test_search_works_whichever_analyser_the_store_was_built_with(analyzer: Analyzer) -> None:
    with Store.open(":memory:", analyzer=analyzer) as s:
        fill(s)
        found = {
            q: [
                h.ref_id
                for h in CallHistory(s).search(SearchQuery(q, kinds=frozenset({HitKind.TRANSCRIPT}))).hits
            ]
            for q in ("請求書", "解約したい", "ショッピング", "cancelling", "charge", "契約")
        }
    assert found == {
        "請求書": ["s01"],
        "解約したい": ["s00"],
        "ショッピング": ["s02"],
        "cancelling": ["s01"],
        "charge": ["s02", "s01"],
        "契約": ["s01"],
    }
