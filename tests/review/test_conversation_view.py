"""The call detail's conversation panel: the figures, the scorecard and the wrap-up lines of a saved call, each
line leading to the transcript line it came from."""

from __future__ import annotations

from datetime import date
from typing import Any

from assist.dynamics import measure_call
from assist.scorecard import score_call
from assist.store import Store
from assist.wrapup import build_wrap_up, save_structured
from desktop.app import ensure_app
from desktop.review.call_detail import CallDetail


def test_the_call_detail_shows_figures_scorecard_and_wrap_up_lines_that_lead_to_the_transcript(
    store: Store, qtbot: Any
) -> None:
    ensure_app()
    measure_call(store, "call-ja-1", "ja")
    wrap = build_wrap_up(store.segments_for("call-ja-1"), "ja", date(2026, 3, 2))
    save_structured(store, "call-ja-1", wrap)
    score_call(store, "call-ja-1", wrap)
    detail = CallDetail(store)
    qtbot.addWidget(detail)
    detail.show_call("call-ja-1")
    panel = detail.conversation
    # Two 2.5 s lines each, no overlap, no silence of 3 s.
    assert panel.dynamics.text().startswith("Talk:listen 50:50 · overlaps 0 · silences 0")
    rows = [panel.lines.item(i).text() for i in range(panel.lines.count())]
    assert any(r.startswith("Issue: ") and "請求書が届いていない" in r for r in rows), rows
    assert any("Thanked the customer" in r or "No thanks at the end" in r for r in rows)
    issue = next(i for i in range(panel.lines.count()) if panel.lines.item(i).text().startswith("Issue: "))
    detail.timeline.setCurrentRow(-1)
    panel.lines.itemClicked.emit(panel.lines.item(issue))
    selected = detail.timeline.currentItem()
    assert selected is not None and "請求書がまだ届いていない" in selected.text()
    detail.clear()
    assert panel.lines.count() == 0 and panel.dynamics.text() == "No conversation figures for this call."
