"""Search by reading and by number: the way a word or a phone number is written does not decide whether a
line is found (issue 14). 料金 / りょうきん / リョウキン, すずき / スズキ / ｽｽﾞｷ and 09012345678 /
090-1234-5678 each find the same things, in transcripts, summaries and customer search."""

from __future__ import annotations

from pathlib import Path

import pytest

from assist.domain import CallRecord, Customer, Segment
from assist.history import CallHistory, HitKind, SearchQuery
from assist.store import Store

LINES = {
    "l-kanji": "今月の料金が高いんですけど",
    "l-hira": "りょうきんのことで電話しました",
    "l-kata": "リョウキンプランを見直したい",
    "l-phone": "折り返しは090-1234-5678にお願いします",
    "l-phone-run": "番号は09012345678です",
    "l-other": "住所を変えたいんです",
}


@pytest.fixture
def history(tmp_path: Path) -> CallHistory:
    store = Store.open(tmp_path / "s.sqlite3")
    store.upsert_call(CallRecord("call-1", None, "佐藤", "2026-11-02T09:00:00+00:00", language="ja"))
    store.add_segments(
        Segment("call-1", seg, "customer", float(n), float(n) + 1, text)
        for n, (seg, text) in enumerate(LINES.items())
    )
    return CallHistory(store)


def found(history: CallHistory, text: str) -> set[str]:
    result = history.search(SearchQuery(text, kinds=frozenset({HitKind.TRANSCRIPT})))
    return {h.ref_id for h in result.hits}


@pytest.mark.parametrize("written", ["料金", "りょうきん", "リョウキン", "ﾘｮｳｷﾝ"])
def test_a_word_is_found_however_it_is_written(history: CallHistory, written: str) -> None:
    assert found(history, written) == {"l-kanji", "l-hira", "l-kata"}


@pytest.mark.parametrize(
    "written", ["09012345678", "090-1234-5678", "090 1234 5678", "０９０－１２３４－５６７８"]
)
def test_a_phone_number_is_found_in_any_written_form(history: CallHistory, written: str) -> None:
    assert found(history, written) == {"l-phone", "l-phone-run"}


def test_the_word_found_by_reading_is_highlighted(history: CallHistory) -> None:
    result = history.search(SearchQuery("りょうきん", kinds=frozenset({HitKind.TRANSCRIPT})))
    marked = {h.ref_id: h.marked() for h in result.hits}
    assert "[料金]" in marked["l-kanji"]


@pytest.mark.parametrize("written", ["すずき", "スズキ", "ｽｽﾞｷ"])
def test_customer_search_folds_kana_and_width(tmp_path: Path, written: str) -> None:
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.upsert_customers(
            [
                Customer("c1", "鈴木 一郎", kana="すずき いちろう"),
                Customer("c2", "スズキ商店", kana=""),
                Customer("c3", "佐藤 花子", kana="さとう はなこ"),
            ]
        )
        assert {c.id for c in store.search_customers(written)} == {"c1", "c2"}
