"""The call detail's conversation panel: the figures, the scorecard and the wrap-up lines of a saved call,
each line leading to the transcript line it came from."""

from __future__ import annotations

from datetime import date
from typing import Any

from assist.domain import CallRecord, Segment
from assist.dynamics import measure_call
from assist.insights import insights
from assist.scorecard import score_call
from assist.store import Store
from assist.timeline import TimelineKind
from assist.wrapup import build_wrap_up, save_structured
from desktop.app import ensure_app
from desktop.review.call_detail import CallDetail
from desktop.review.conversation_view import TeamConversation


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


def test_insights_show_each_agents_conversation_and_the_teams_review_trend(store: Store, qtbot: Any) -> None:
    ensure_app()
    for call_id, language in (("call-ja-1", "ja"), ("call-ja-2", "ja"), ("call-en-1", "en")):
        measure_call(store, call_id, language)
        score_call(store, call_id, build_wrap_up(store.segments_for(call_id), language, date(2026, 3, 2)))
    team = TeamConversation()
    qtbot.addWidget(team)
    team.show_insights(insights(store))
    agents = team.agents.text()
    assert "<td>suzuki</td><td>1</td><td>50%</td>" in agents and "morae/s" in agents and "wpm" in agents
    trends = team.trends.text()
    # call-ja-1 and call-en-1 fall in the week of 2 March, call-ja-2 in the next.
    assert "<td>2026-03-02</td><td>2</td>" in trends and "<td>2026-03-09</td><td>1</td>" in trends


def test_overlaps_and_silences_sit_on_the_timeline_where_they_happened(store: Store, qtbot: Any) -> None:
    ensure_app()
    store.upsert_call(CallRecord("call-x", None, started_at="2026-03-02T01:00:00+00:00", language="en"))
    store.add_segments(
        [
            Segment("call-x", "s0", "agent", 0.0, 4.0, "Let me look at your account."),
            Segment("call-x", "s1", "customer", 3.0, 6.0, "Sure, go ahead."),  # 1 s over the agent
            Segment("call-x", "s2", "agent", 10.0, 12.0, "Thanks for waiting."),  # after 4 s of silence
        ]
    )
    measure_call(store, "call-x", "en")
    detail = CallDetail(store)
    qtbot.addWidget(detail)
    detail.show_call("call-x")
    kinds = [(i.kind, i.position, i.text) for i in detail.items() if i.kind is not TimelineKind.LINE]
    assert kinds == [(TimelineKind.OVERLAP, 3.0, "1.0 s"), (TimelineKind.SILENCE, 6.0, "4.0 s")]
    rows = [detail.timeline.item(i).text() for i in range(detail.timeline.count())]
    assert rows[2].strip() == "↳ Overlap: 1.0 s" and rows[3].strip() == "↳ Silence: 4.0 s"
