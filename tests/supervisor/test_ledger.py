"""The console's Qt-free ledger: whisper states only move forward, a refusal that overtakes its whisper still
marks it, and the knowledge feed keeps the newest change of each entry."""

from __future__ import annotations

from desktop.supervisor.ledger import KnowledgeShelf, SentWhisper, WhisperLedger
from sync.protocol import Change, RecordKind


def test_a_late_sent_never_hides_a_read_and_a_refusal_that_came_first_still_counts() -> None:
    ledger = WhisperLedger()
    ledger.merge(SentWhisper("w1", "c1", "Offer the refund", "queued"))
    assert ledger.receipt("w1", "read", None) is not None
    assert ledger.receipt("w1", "sent", None) is not None
    assert ledger.status("w1") == "read"

    assert ledger.refuse("w2", "agent is offline") is None  # refused before its own entry arrived
    shown = ledger.merge(SentWhisper("w2", "c1", "Check the plan", "queued"))
    assert (shown.status, shown.problem) == ("refused", "agent is offline")
    assert [w.whisper_id for w in ledger.on_call("c1")] == ["w1", "w2"] and ledger.on_call("c2") == []
    assert ledger.receipt("unknown", "read", None) is None


def test_the_knowledge_shelf_keeps_the_newest_change_of_each_entry() -> None:
    shelf = KnowledgeShelf()

    def change(seq: int, title: str, deleted: bool = False) -> Change:
        record = {"id": "kb-1", "title": title, "body": "…", "deleted": deleted}
        return Change(seq=seq, kind=RecordKind.KNOWLEDGE, record_id="kb-1", record=record)

    assert shelf.apply(change(2, "Refunds"))
    assert not shelf.apply(change(1, "Old title"))  # an older change read late
    assert shelf.entries() == [("kb-1", "Refunds")] and shelf.seq == 2
    assert shelf.apply(change(3, "Refunds", deleted=True))
    assert shelf.entries() == [] and shelf.get("kb-1") is None
