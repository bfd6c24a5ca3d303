"""The after-call quality pass's lines into the call's record (audio/after_call.py makes them).

They replace the live lines, masked the same way, each marked with the pass that wrote it (``source``), so
review, search and the record's transcript read the better text, and a reviewer can tell which it is. The
call's proposed wrap-up is then written again from the new lines (assist/wrapup.py), marked the same way; the
summary the agent saved with the call is theirs and stays as it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from assist.domain import Segment
from assist.redaction import RedactionPolicy, Redactor
from assist.wrapup import build_wrap_up, load_structured, save_structured
from audio.after_call import AfterCallResult

if TYPE_CHECKING:
    from assist.store import Store


def apply_after_call(
    store: Store, call_id: str, result: AfterCallResult, policy: RedactionPolicy | None = None
) -> int:
    """Replace ``call_id``'s lines with the pass's; 0 (and the live lines kept) when it was cancelled or
    heard nothing (a pass that found no speech is no reason to erase what the live pass heard)."""
    if result.cancelled or not result.lines:
        return 0
    redactor = Redactor(policy)
    segments = []
    for n, line in enumerate(result.lines, 1):
        text = redactor.redact(line.text).text
        segments.append(
            Segment(
                call_id=call_id,
                segment_id=f"after-{n}",
                channel=line.channel.value,
                start=line.start,
                end=line.end,
                text=text,
                confidence=line.confidence,
                corrections=tuple(redactor.redact(c, remember=False).text for c in line.corrections),
                source=result.source,
            )
        )
    count: int = store.replace_segments(call_id, segments)
    if count:
        rewrite_wrap_up(store, call_id, result.source, redactor)
    return count


def rewrite_wrap_up(store: Store, call_id: str, source: str, redactor: Redactor | None = None) -> None:
    """The call's proposed wrap-up built again from its stored lines, marked with ``source``. The knowledge
    entries the agent used during the call are kept (they are not in the lines); dates are read from the
    day of the call."""
    previous = load_structured(store, call_id)
    call = store.get_call(call_id)
    language = (previous.language if previous else "") or (call.language if call else "")
    wrap = build_wrap_up(
        store.segments_for(call_id),
        language,
        _call_day(call.started_at if call else ""),
        entry=store.get_knowledge,
        whispers=store.whispers_for(call_id),
        customer=store.get_customer(call.customer_id) if call and call.customer_id else None,
    )
    wrap = replace(wrap, source=source, entries_used=previous.entries_used if previous else ())
    mask = redactor or Redactor()
    save_structured(store, call_id, wrap.redacted(lambda t: mask.redact(t, remember=False).text))


def _call_day(started_at: str) -> date:
    try:
        return datetime.fromisoformat(started_at).date()
    except ValueError:
        return date.today()
