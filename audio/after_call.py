"""The after-call quality pass: the saved recording transcribed again with a bigger model, in the background.

During a call the model must keep up in real time on the agent's PC, so it is small (base, tiny.en). Once the
call is over there is no hurry: each channel's recording is decoded again, whole, with the model chosen in
Settings (small, medium, large-v3-turbo, kotoba-whisper once downloaded, or base after a tiny.en call), the
way offline faster-whisper does (VAD, beam 5, each segment conditioned on the one before). The same
non-speech guard and domain lexicon apply. The app then replaces the call's lines with these, marked, for
review, search and wrap-up.

It runs at low priority: its thread lowers its own scheduling priority before it loads the model, so the
model's compute threads (created at load) inherit it, and it uses one thread unless told otherwise. A new
call therefore keeps the PC first. :meth:`AfterCallPass.cancel` stops it between segments.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from audio.events import Channel
from audio.guards import bias_terms, collapse_repetitions, is_hallucination
from audio.lexicon import corrector_for
from audio.models import resolve_model

log = logging.getLogger(__name__)

LOW_PRIORITY = 10
"""The nice value the pass runs at (Linux and macOS threads; on Windows the thread priority is left)."""


@dataclass(frozen=True, slots=True)
class AfterCallLine:
    channel: Channel
    start: float
    end: float
    text: str
    confidence: float
    corrections: tuple[str, ...] = ()


@dataclass
class AfterCallResult:
    model: str
    lines: list[AfterCallLine] = field(default_factory=list)
    cancelled: bool = False

    @property
    def source(self) -> str:
        """How the replaced lines are marked in the record."""
        return f"after-call {self.model}"


class AfterCallPass:
    """Transcribe ``recordings`` (channel -> WAV) again with ``model`` in a low-priority background thread.

    ``on_done(result)`` is called from that thread when it finishes (also when cancelled: then
    ``result.cancelled`` is set and the lines must not replace anything); ``on_error(exc)`` when it fails.
    """

    def __init__(
        self,
        recordings: Mapping[Channel, Path],
        *,
        model: str,
        language: str,
        on_done: Callable[[AfterCallResult], None],
        on_error: Callable[[BaseException], None] | None = None,
        lexicon: Iterable[str | tuple[str, str]] | None = None,
        threads: int = 1,
        low_priority: bool = True,
    ) -> None:
        self.recordings = dict(recordings)
        self.model = model
        self.language = None if language in ("", "auto") else language
        self.on_done = on_done
        self.on_error = on_error or (lambda exc: log.error("after-call pass failed: %s", exc))
        self.lexicon = None if lexicon is None else list(lexicon)
        self.threads = threads
        self.low_priority = low_priority
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="after-call-pass", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        if self.low_priority:
            _lower_own_priority()
        try:
            result = self.transcribe()
        except BaseException as exc:
            self.on_error(exc)
            return
        self.on_done(result)

    def transcribe(self) -> AfterCallResult:
        """The pass itself, in the calling thread (the background thread runs this)."""
        from faster_whisper import WhisperModel

        resolved = resolve_model(self.model, self.language or "ja")
        model = WhisperModel(str(resolved.path), device="cpu", compute_type="int8", cpu_threads=self.threads)
        language = self.language if resolved.multilingual else "en"
        correct = corrector_for(self.lexicon)
        result = AfterCallResult(resolved.name)
        for channel, path in sorted(self.recordings.items()):
            if not Path(path).is_file():
                continue
            segments, _ = model.transcribe(
                str(path), language=language, beam_size=5, vad_filter=True, condition_on_previous_text=True
            )
            for seg in segments:
                if self._cancel.is_set():
                    result.cancelled = True
                    return result
                text = collapse_repetitions(" ".join(seg.text.split()))
                if is_hallucination(
                    text,
                    no_speech_prob=seg.no_speech_prob,
                    avg_logprob=seg.avg_logprob,
                    speech_prob=1.0,
                    duration=seg.end - seg.start,
                    bias=bias_terms(),
                ):
                    continue
                fixed, corrections = correct(text) if correct is not None else (text, ())
                result.lines.append(
                    AfterCallLine(
                        channel,
                        round(seg.start, 3),
                        round(seg.end, 3),
                        fixed,
                        round(_confidence(seg.avg_logprob), 3),
                        corrections,
                    )
                )
        result.lines.sort(key=lambda line: (line.start, line.channel.value))
        return result


def _confidence(avg_logprob: float) -> float:
    import math

    return math.exp(min(0.0, avg_logprob))


def _lower_own_priority() -> None:
    """Lower this thread's priority (Linux: per thread, inherited by the threads it starts)."""
    setpriority: Callable[[int, int, int], None] | None = getattr(os, "setpriority", None)
    if setpriority is None:
        return
    try:
        setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
    except OSError as exc:
        log.debug("could not lower the after-call pass's priority: %s", exc)
