"""The after-call quality pass's lines into the call's record (audio/after_call.py makes them).

They replace the live lines, masked the same way, each marked with the pass that wrote it (``source``), so
review, search and the record's transcript read the better text, and a reviewer can tell which it is.
"""

from __future__ import annotations

from typing import Any

from assist.domain import Segment
from assist.redaction import RedactionPolicy, Redactor
from audio.after_call import AfterCallResult


def apply_after_call(
    store: Any, call_id: str, result: AfterCallResult, policy: RedactionPolicy | None = None
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
    return count
