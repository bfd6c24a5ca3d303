"""Quick notes taken in the same instant (two Enter presses inside one millisecond, or simply inside the one
second the store's timestamps keep): both are kept, stamped with when they were taken in the call, and the
customer's notes still read newest first, the later of the two on top (a real SQLite file, the call's clock
injected, nothing waits)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from assist.domain import Customer, Note
from assist.session import CallSession
from assist.store import Store
from desktop.agent.desk import saving
from desktop.common.views import QuickNote, WrapUpDraft

CALL_START = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def test_two_quick_notes_in_the_same_millisecond_are_both_kept_newest_first(tmp_path: Path) -> None:
    with Store.open(tmp_path / "agent-assist.sqlite3") as store:
        store.upsert_customer(Customer(id="k1", name="青木 花子", phones=("09011112222",)))
        store.upsert_note(
            Note("note-earlier", "k1", "前回: 請求書の再送を希望", created_at="2026-11-01T09:00:00+00:00")
        )
        session = CallSession(store, "call-1", customer_id="k1", clock=lambda: CALL_START)
        taken = [QuickNote(75.0, "住所変更は来月から"), QuickNote(75.0, "奥様経由での連絡を希望")]

        saved = saving.save_wrap_up(session, WrapUpDraft(summary="住所変更の受付"), taken, "sato")

        assert len({n.id for n in saved.notes}) == 2
        shown = store.notes_for("k1")
        assert [n.text for n in shown] == [
            "奥様経由での連絡を希望",
            "住所変更は来月から",
            "前回: 請求書の再送を希望",
        ]
        # Stamped with when they were taken (call start + 1:15), not when the wrap-up was saved.
        assert {n.created_at for n in shown[:2]} == {"2026-11-18T10:01:15+00:00"}
