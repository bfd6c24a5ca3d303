"""Matching by meaning: the real bundled sentence encoder on the project's own knowledge entries."""

from __future__ import annotations

from pathlib import Path

from assist.domain import KnowledgeEntry
from assist.matching import MIN_SCORE, search_knowledge
from assist.semantic import KnowledgeVectors
from assist.store import Store


def shown(store: Store, text: str) -> list[str]:
    return [s.id for s in search_knowledge(store, text, limit=3) if s.score >= MIN_SCORE]


def test_a_paraphrase_without_the_entrys_words_brings_up_its_card(kb_store: Store) -> None:
    # Not one word of 「住所変更」 or its aliases (引っ越し, 転居, 送り先の変更) is said.
    assert shown(kb_store, "今度、新居に移るので郵便の届く場所を直したいんです")[:1] == ["ja-address-change"]
    # English by meaning ranks first but needs more to be shown (the English threshold is stricter, see
    # assist/matching.py: Bitext's same-domain requests sit close to our English entries).
    said = "I'm relocating next week, please update where you send my bills"
    assert search_knowledge(kb_store, said)[0].id == "en-address"


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
