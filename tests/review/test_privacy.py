"""Erasing a customer on request leaves no trace: not in tables, not in full-text indexes, not in the raw
database file or its write-ahead log, not in recordings; everyone else's data stays whole and searchable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assist import paths
from assist.history import CallHistory, SearchQuery
from assist.privacy import ERASED_IDS_KEPT, ErasureError, erase_customer, prune_erased_ids, was_erased
from assist.review_schema import CommentRole, ReviewNotes
from assist.store import Store
from assist.text import index_text
from tests.review.conftest import SMITH_SECRET, TANAKA_EMAIL, TANAKA_SECRET


def _raw_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def test_erasure_leaves_no_trace(store: Store) -> None:
    review = ReviewNotes(store)
    review.add_bookmark("call-ja-1", 9.0, segment_id="s03", label=f"{TANAKA_SECRET}の話")
    review.add_comment(
        "call-ja-1", f"{TANAKA_SECRET}の件は上長へ", segment_id="s03", role=CommentRole.SUPERVISOR
    )
    review.add_comment("call-en-1", "good empathy", segment_id="s01")
    db = paths.store_path()
    # The secrets are really there before: in tables, indexes, the raw file and on disk.
    assert TANAKA_SECRET in store.dump_all_text()
    secret_terms = index_text(TANAKA_SECRET).split()
    assert TANAKA_SECRET.encode() in _raw_bytes(db) or TANAKA_SECRET.encode() in db.read_bytes()
    assert (paths.recordings_dir() / "call-ja-1" / "customer.wav").exists()

    report = erase_customer(store, "cust-tanaka")

    assert report.call_ids == ("call-ja-1", "call-ja-2")
    assert report.rows["segments"] == 7 and report.rows["segments_fts"] == 7
    assert report.rows["review_comments"] == 1 and report.rows["review_bookmarks"] == 1
    assert len(report.files_removed) == 4 and not report.files_failed
    dump = store.dump_all_text()
    for gone in (
        TANAKA_SECRET,
        TANAKA_EMAIL,
        "田中花子",
        "タナカハナコ",
        "cust-tanaka",
        "call-ja-1",
        "call-ja-2",
        "領収書を郵送",
        "解約したいんですが",
    ):
        assert gone not in dump, gone
    vocab = set(dump.split("\n"))
    # Terms only Tanaka's data held are gone from every FTS index (the fts5vocab rows in the dump).
    assert {"ミズ", "ズバ", "バシ", "ショ", "旅館"} & set(secret_terms)
    assert not {"ミズ", "ズバ", "旅館"} & vocab
    raw = _raw_bytes(db)
    for gone in (TANAKA_SECRET, TANAKA_EMAIL, "田中花子", "解約したいんですが"):
        assert gone.encode() not in raw, gone
    assert not (paths.recordings_dir() / "call-ja-1").exists()
    assert not (paths.recordings_dir() / "call-ja-2").exists()
    assert store.get_customer("cust-tanaka") is None
    assert store.customers_by_phone("+819012345678") == []
    assert CallHistory(store).search(SearchQuery(TANAKA_SECRET)).hits == ()

    # Everyone else is untouched.
    assert (paths.recordings_dir() / "call-en-1" / "agent.wav").exists()
    assert [h.call_id for h in CallHistory(store).search(SearchQuery(SMITH_SECRET)).hits] == ["call-en-1"]
    assert [c.text for c in review.comments("call-en-1")] == ["good empathy"]
    assert len(store.follow_ups_for("cust-smith")) == 1
    assert store.get_customer("cust-smith") is not None


def test_erasing_an_unknown_customer_changes_nothing(store: Store) -> None:
    before = store.dump_all_text()
    with pytest.raises(ErasureError, match="no customer with id 'cust-nobody'"):
        erase_customer(store, "cust-nobody")
    assert store.dump_all_text() == before


def test_erasure_survives_reopening(store: Store) -> None:
    erase_customer(store, "cust-tanaka")
    store.close()
    again = Store.open(paths.store_path())
    try:
        assert TANAKA_SECRET not in again.dump_all_text()
        assert again.get_customer("cust-smith") is not None
    finally:
        again.close()


def test_helped_examples_taken_from_the_customers_lines_go_with_them(store: Store) -> None:
    line = store.conn.execute(
        "SELECT text FROM segments WHERE call_id = 'call-ja-2' AND text LIKE '%解約したいんですが%'"
    ).fetchone()[0]
    examples = [
        (line, None),  # kept before examples knew their call: found by her words
        # the line as it was when the card came up (the transcript was revised since): found by its call
        ("領収書をもう一度送ってほしいんです", "call-ja-1"),
        ("Can I get a refund for the double charge?", "call-en-1"),  # another customer's
    ]
    for text, call_id in examples:
        store.conn.execute(
            "INSERT INTO knowledge_examples(entry_id, language, text, model, vector, call_id)"
            " VALUES ('kb-1', 'ja', ?, 'm', x'00', ?)",
            (text, call_id),
        )
    report = erase_customer(store, "cust-tanaka")
    assert report.rows["knowledge_examples"] == 2
    left = [row[0] for row in store.conn.execute("SELECT text FROM knowledge_examples")]
    assert left == ["Can I get a refund for the double charge?"]
    raw = _raw_bytes(paths.store_path())
    assert "解約したいんですが".encode() not in raw and "領収書をもう一度".encode() not in raw


def test_an_erasure_keeps_only_digests_of_the_ids_and_forgets_them_after_30_days(store: Store) -> None:
    """What an erasure keeps so that a program writing about her later (the app's live call) finds her erased:
    digests of the ids, never the ids; forgotten once ERASED_IDS_KEPT has passed."""
    erase_customer(store, "cust-tanaka")
    assert was_erased(store, "call-ja-1") and was_erased(store, "call-x", "cust-tanaka")
    kept = store.conn.execute("SELECT kind, digest FROM erased_ids ORDER BY kind").fetchall()
    assert [kind for kind, _ in kept] == ["call", "call", "customer"]
    assert not {"cust-tanaka", "call-ja-1", "call-ja-2"} & {digest for _, digest in kept}
    now = datetime.now(UTC)
    assert prune_erased_ids(store, now + ERASED_IDS_KEPT - timedelta(days=1)) == 0
    assert was_erased(store, "call-ja-1")
    assert prune_erased_ids(store, now + ERASED_IDS_KEPT + timedelta(days=1)) == 3
    assert not was_erased(store, "call-ja-1") and not was_erased(store, "call-x", "cust-tanaka")
    assert store.conn.execute("SELECT COUNT(*) FROM erased_ids").fetchone()[0] == 0
