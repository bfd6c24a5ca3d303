"""After the after-call pass replaces a call's lines, the call's proposed wrap-up is written again from them,
marked with the pass; the summary the agent saved stays theirs."""

from __future__ import annotations

from pathlib import Path

from assist.after_call import apply_after_call
from assist.session import CallSession
from assist.store import Store
from assist.wrapup import load_structured
from audio.after_call import AfterCallLine, AfterCallResult
from audio.events import Channel, EventKind, TranscriptEvent

LIVE = (
    (Channel.AGENT, "お電話ありがとうございます。ご用件をお伺いします。"),
    (Channel.CUSTOMER, "先月の両金が二重製給になっているようなんですが。"),
    (Channel.AGENT, "確認して明日までに折り返しお電話いたします。"),
)


def test_the_wrap_up_is_rewritten_from_the_after_call_lines_and_marked(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.sqlite3")
    session = CallSession(store, "call-1", None, "ja")
    for i, (channel, text) in enumerate(LIVE):
        session.feed(
            TranscriptEvent("call-1", channel, EventKind.FINAL, i * 4.0, i * 4 + 3.0, text, 0.9, f"s{i}")
        )
    saved = session.save(session.wrap_up())
    live = load_structured(store, "call-1")
    assert live is not None and live.source == "" and "両金" in live.main_issue

    heard = [(c, t.replace("両金", "料金").replace("二重製給", "二重請求")) for c, t in LIVE]
    result = AfterCallResult(
        "base", [AfterCallLine(c, i * 4.0, i * 4 + 3.0, t, 0.95) for i, (c, t) in enumerate(heard)]
    )
    assert apply_after_call(store, "call-1", result) == len(LIVE)

    rewritten = load_structured(store, "call-1")
    assert rewritten is not None and rewritten.source == "after-call base"
    assert "料金" in rewritten.main_issue and "二重請求" in rewritten.main_issue
    assert [p.what for p in rewritten.promises] == [p.what for p in live.promises]  # same promise, same due
    assert [p.due for p in rewritten.promises] == [p.due for p in live.promises]
    record = store.get_call("call-1")
    assert record is not None and record.summary == saved.summary  # the agent's saved words stay
    store.close()


def test_a_pass_that_changed_nothing_leaves_the_wrap_up_unmarked(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store.sqlite3")
    session = CallSession(store, "call-2", None, "ja")
    channel, text = LIVE[1]
    session.feed(TranscriptEvent("call-2", channel, EventKind.FINAL, 0.0, 3.0, text, 0.9, "s0"))
    session.save(session.wrap_up())
    assert apply_after_call(store, "call-2", AfterCallResult("base", cancelled=True)) == 0
    kept = load_structured(store, "call-2")
    assert kept is not None and kept.source == "" and "両金" in kept.main_issue
    store.close()
