from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assist.domain import CallRecord, Customer, KnowledgeEntry, Note, NoteKind, Segment
from assist.store import MIGRATIONS, Store, StoreError


def test_a_new_file_is_migrated_in_wal_mode_and_reopens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with Store.open(path) as store:
        assert store.schema_version() == MIGRATIONS[-1][0]
        store.upsert_customer(Customer(id="c1", name="山田 太郎", phones=("090-1234-5678",)))
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store.open(path) as again:
        customer = again.get_customer("c1")
        assert customer is not None and customer.name == "山田 太郎"
        recorded = again.conn.execute(
            "SELECT COUNT(*) FROM schema_migrations WHERE migration_set = 'store'"
        ).fetchone()[0]
        assert recorded == len(MIGRATIONS)


def test_a_store_from_a_newer_app_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO schema_migrations(migration_set, version, name, applied_at) VALUES ('store', 999, "
        "'future', '')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this app"):
        Store.open(path)


def test_a_file_that_is_not_a_database_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some text, not SQLite" * 100)
    with pytest.raises(StoreError, match=r"notes\.txt"):
        Store.open(path)


def test_open_without_a_path_uses_agent_assist_home(agent_assist_home: Path) -> None:
    with Store.open() as store:
        store.upsert_knowledge([KnowledgeEntry(id="k", title="t")])
    assert (agent_assist_home / "agent-assist.sqlite3").exists()


def test_reimporting_an_entry_updates_it_and_its_index(store: Store) -> None:
    store.upsert_knowledge([KnowledgeEntry(id="k1", title="解約の手続き")])
    store.upsert_knowledge([KnowledgeEntry(id="k1", title="住所変更の手続き")])
    assert store.count("knowledge") == 1
    assert [h.entry.id for h in store.knowledge_candidates(["住所"])] == ["k1"]
    assert store.knowledge_candidates(["解約"]) == []


def test_deleting_an_entry_removes_it_from_search(store: Store) -> None:
    store.upsert_knowledge([KnowledgeEntry(id="k1", title="Cancel a subscription")])
    assert store.delete_knowledge("k1")
    assert store.knowledge_candidates(["cancel"]) == []
    assert not store.delete_knowledge("k1")


def test_notes_come_pinned_then_cautions_then_newest(store: Store) -> None:
    store.upsert_customer(Customer(id="c1", name="A"))
    store.upsert_note(Note("n1", "c1", "old context", created_at="2026-01-01T00:00:00+00:00"))
    store.upsert_note(Note("n2", "c1", "new context", created_at="2026-03-01T00:00:00+00:00"))
    store.upsert_note(
        Note("n3", "c1", "caution", kind=NoteKind.CAUTION, created_at="2026-02-01T00:00:00+00:00")
    )
    store.upsert_note(Note("n4", "c1", "pinned", pinned=True, created_at="2025-01-01T00:00:00+00:00"))
    assert [n.id for n in store.notes_for("c1")] == ["n4", "n3", "n2", "n1"]


def test_transcript_search_finds_japanese_without_spaces_and_english_by_stem(store: Store) -> None:
    store.upsert_call(CallRecord(id="call1", customer_id=None))
    store.add_segments(
        [
            Segment("call1", "s1", "customer", 0.0, 2.0, "先月の請求書が二重に届きました"),
            Segment("call1", "s2", "customer", 2.0, 4.0, "I cancelled the order yesterday"),
            Segment("call1", "s3", "agent", 4.0, 6.0, "ありがとうございます"),
        ]
    )
    assert [s.segment_id for s in store.search_segments("請求書")] == ["s1"]
    assert [s.segment_id for s in store.search_segments("cancelling")] == ["s2"]
    # A repeated final of the same segment replaces the line, it is not indexed twice.
    store.add_segment(Segment("call1", "s1", "customer", 0.0, 2.0, "住所を変えたい"))
    assert store.search_segments("請求書") == []
    assert store.count("segments") == 3


def test_customer_search_by_name_kana_company_and_email(store: Store) -> None:
    store.upsert_customer(
        Customer(
            id="c1",
            name="山田 太郎",
            kana="やまだ たろう",
            company="青空商事",
            email="Taro.Yamada@example.jp",
        )
    )
    store.upsert_customer(Customer(id="c2", name="May Will", company="Acme Ltd"))
    assert [c.id for c in store.search_customers("山田")] == ["c1"]
    assert [c.id for c in store.search_customers("やまだ")] == ["c1"]
    assert [c.id for c in store.search_customers("青空")] == ["c1"]
    assert [c.id for c in store.search_customers("taro.yamada@example.jp")] == ["c1"]
    assert [c.id for c in store.search_customers("may will")] == ["c2"]
    assert store.search_customers("佐藤") == []


def test_vacuum_compacts_and_rederives_search_rows_from_their_tables(file_store: Store) -> None:
    file_store.upsert_knowledge([KnowledgeEntry(id=f"k{i}", title=f"entry {i}") for i in range(50)])
    file_store.upsert_knowledge([KnowledgeEntry(id="target", title="解約の手続き")])
    file_store.upsert_customers([Customer(id="yamada", name="山田 太郎")])
    for i in range(0, 50, 2):
        file_store.delete_knowledge(f"k{i}")
    # VACUUM may renumber implicit rowids, which key these FTS rows: simulate rows that no longer line up.
    file_store.conn.execute("UPDATE knowledge_fts SET rowid = rowid + 1000")
    file_store.conn.execute("DELETE FROM customers_fts")
    file_store.vacuum()
    assert [h.entry.id for h in file_store.knowledge_candidates(["解約"])] == ["target"]
    assert [c.id for c in file_store.search_customers("山田")] == ["yamada"]
    assert file_store.conn.execute("SELECT COUNT(*) FROM knowledge_fts").fetchone()[0] == 26
