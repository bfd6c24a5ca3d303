"""Turn utterances into transcript events with one shared model and its two workers.

The model is the scarce resource on a 2-core PC: both channels share one instance, and its workers always
pick the most valuable job. With two workers (one model instance, CTranslate2 running two calls side by
side), the first only ever takes finals, so a final never waits behind a partial that happened to be
running when the speaker stopped. Finals the agent is waiting for come first, then speculative
finals (started during a short pause, kept if the pause turns into the end of the utterance), and partials
last, only the newest per channel, within a share of the worker's time. When the worker falls behind,
partials are dropped before anything else, and ``lag`` says how far behind it is.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from audio.events import Channel, EventKind, TranscriptEvent
from audio.guards import collapse_repetitions, is_hallucination
from audio.segmenter import Utterance, UtteranceState
from audio.source import SAMPLE_RATE, Samples

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str
    avg_logprob: float
    no_speech_prob: float
    language: str


class Recognizer(Protocol):
    """Speech to text for one stretch of 16 kHz audio (the real one wraps faster-whisper)."""

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition: ...


class WhisperRecognizer:
    """faster-whisper's model, driven directly for short call utterances.

    Whisper's encoder is built for 30 s windows and faster-whisper always pads to that, so every utterance
    costs as much as 30 s of audio. CTranslate2 also accepts a shorter window: the utterance plus
    ``margin_seconds`` (at least ``context_seconds``), several times cheaper. Measured on the eval clips, the
    short window costs little accuracy with multilingual base on Japanese but a lot with tiny.en (whose full
    window is cheap anyway), so: partials always use the short window; finals use it with multilingual models
    and the full window with English-only ones. ``final_context_seconds`` forces a choice (None = full
    window, a number = short window of at least that many seconds). A decision by measured speed was tried
    and dropped: on a busy PC it flipped between runs, and with it the transcript.
    No VAD (already done), no timestamps; greedy partials, beam search for finals. With multilingual models,
    finals longer than ``beam_max_seconds`` are greedy: there decoding is most of the cost (about 16 ms a
    token with beam 5 and 11 ms greedy, base, one thread), a 10 s Japanese final took 0.5 s longer with the
    beam, and greedy finals measured no worse on the eval clips. English-only models keep the beam: their
    cost is the full-window encoder, and greedy long finals cost tiny.en 0.6 points of WER.
    """

    def __init__(
        self,
        model: Any,
        *,
        final_beam: int = 5,
        beam_max_seconds: float = 6.0,
        context_seconds: float = 8.0,
        margin_seconds: float = 3.0,
        final_context_seconds: float | str | None = "auto",
        max_new_tokens: int = 160,
    ) -> None:
        self.model = model
        self.final_beam = final_beam
        self.beam_max_seconds = beam_max_seconds
        self.context_seconds = context_seconds
        self.final_context_seconds = final_context_seconds
        self.margin_seconds = margin_seconds
        self.max_new_tokens = max_new_tokens
        self._tokenizers: dict[str | None, Any] = {}
        self._suppress: dict[str | None, Any] = {}

    def _tokenizer(self, language: str | None) -> Any:
        if language not in self._tokenizers:
            from faster_whisper.tokenizer import Tokenizer
            from faster_whisper.transcribe import get_suppressed_tokens

            multilingual = bool(self.model.model.is_multilingual)
            tok = Tokenizer(self.model.hf_tokenizer, multilingual, task="transcribe",
                            language=(language or "en") if multilingual else None)
            # suppress first: another worker may read both as soon as the tokenizer is there
            self._suppress[language] = get_suppressed_tokens(tok, [-1])
            self._tokenizers[language] = tok
        return self._tokenizers[language]

    def _beam(self, final: bool, seconds: float) -> int:
        if not final:
            return 1
        if self.model.model.is_multilingual and seconds > self.beam_max_seconds:
            return 1
        return self.final_beam

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition:
        import ctranslate2
        import numpy as np

        model = self.model
        features = model.feature_extractor(audio)
        frames = features.shape[-1]
        full = int(model.feature_extractor.nb_max_frames)
        minimum: float | None = self.context_seconds
        if final:
            choice = self.final_context_seconds
            if choice == "auto":
                minimum = self.context_seconds if model.model.is_multilingual else None
            else:
                minimum = None if choice is None else float(choice)
        if minimum is None:
            width = full
        else:
            per_second = SAMPLE_RATE // int(model.feature_extractor.hop_length)
            wanted = max(frames + int(self.margin_seconds * per_second), int(minimum * per_second))
            width = min(full, -(-wanted // 100) * 100)
        window = np.zeros((1, features.shape[0], width), dtype=np.float32)
        window[0, :, : min(frames, width)] = features[:, :width]
        encoded = model.model.encode(ctranslate2.StorageView.from_array(window), to_cpu=False)
        if not model.model.is_multilingual:
            language = "en"
        elif language is None:
            detected = model.model.detect_language(encoded)[0]
            language = detected[0][0][2:-2] if detected else "en"
        tok = self._tokenizer(language)
        previous = tok.encode(" " + prompt.strip()) if prompt and prompt.strip() else []
        tokens_in = model.get_prompt(tok, previous, without_timestamps=True, hotwords=hotwords or None)
        result = model.model.generate(
            encoded,
            [tokens_in],
            beam_size=self._beam(final, len(audio) / SAMPLE_RATE),
            patience=1.0,
            length_penalty=1.0,
            max_length=min(int(model.max_length), len(tokens_in) + self.max_new_tokens),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=self._suppress[language],
        )[0]
        tokens = result.sequences_ids[0]
        text = tok.decode(tokens).strip()
        logprob = float(result.scores[0]) * len(tokens) / (len(tokens) + 1) if tokens else -10.0
        return Recognition(text, logprob, float(result.no_speech_prob), language)


@dataclass
class _Job:
    utterance: Utterance
    final: bool
    confirmed: bool  # a final the segmenter confirmed (not only speculative)
    queued_at: float
    running: bool = False
    result: TranscriptEvent | None = None
    done: bool = False


@dataclass
class TranscriberStats:
    compute_seconds: float = 0.0
    finals: int = 0
    partials: int = 0
    partials_dropped: int = 0
    dropped_as_noise: int = 0
    dropped_as_bleed: int = 0
    max_lag: float = 0.0
    final_latencies: list[float] = field(default_factory=list)


class StreamingTranscriber:
    """Owns the worker thread; fed with :class:`Utterance` snapshots from the capture thread."""

    def __init__(
        self,
        recognizer: Recognizer,
        *,
        call_id: str,
        language: str,
        on_event: Callable[[TranscriptEvent], None],
        clock: Callable[[], float] = time.monotonic,
        started_at: float | None = None,
        prompt: str | None = None,
        hotwords: str | None = None,
        partial_lag_limit: float = 2.0,
        partial_share: float = 0.3,
        workers: int = 1,
    ) -> None:
        self.recognizer = recognizer
        self.call_id = call_id
        self.language = None if language in ("", "auto") else language
        self.on_event = on_event
        self.clock = clock
        self.started_at = clock() if started_at is None else started_at
        self.prompt = prompt
        self.hotwords = hotwords
        self.partial_lag_limit = partial_lag_limit
        # partials are a nicety: they may use at most this share of the worker's time, so on a slow PC
        # they thin out instead of delaying finals (real time here: compute is a real-world resource)
        self.partial_share = partial_share
        # like offline Whisper, the channel's previous sentence helps with the next (names, style, splits)
        self.condition_on_previous = True
        self._last_final: dict[Channel, tuple[float, str]] = {}
        self._partials_after = 0.0
        self.stats = TranscriberStats()
        self._cond = threading.Condition()
        self._finals: list[_Job] = []  # confirmed or speculative, in arrival order
        self._partials: dict[Channel, _Job] = {}
        self._finalized: set[str] = set()
        self._partial_segments: set[str] = set()  # segments that have shown a partial
        self._audio_now = 0.0  # newest call time seen by the capture side
        self._closing = False
        self._stopped = False
        self._threads = [
            threading.Thread(target=self._run, args=(i == 0 and workers > 1,), name=f"transcriber-{i}", daemon=True)
            for i in range(max(1, workers))
        ]

    # --- capture side -----------------------------------------------------------------------------------

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def set_biasing(self, prompt: str | None, hotwords: str | None) -> None:
        """Bias recognition with names and terms the agent is likely to hear (customer name, KB terms)."""
        with self._cond:
            self.prompt, self.hotwords = prompt, hotwords

    def advance(self, audio_time: float) -> None:
        with self._cond:
            self._audio_now = max(self._audio_now, audio_time)

    def offer(self, utterance: Utterance) -> None:
        now = self.clock()
        with self._cond:
            seg = utterance.segment_id
            if seg in self._finalized:
                return
            if utterance.state is UtteranceState.PARTIAL:
                self._retire_speculative(seg, utterance.end)
                old = self._partials.get(utterance.channel)
                if old is not None and not old.running:
                    self.stats.partials_dropped += 1
                self._partials[utterance.channel] = _Job(utterance, False, False, now)
            elif utterance.state is UtteranceState.PAUSED:
                self._retire_speculative(seg, utterance.end)
                self._finals.append(_Job(utterance, True, False, now))
            else:
                if self._partial_of(utterance.channel, seg):
                    del self._partials[utterance.channel]
                spec = next((j for j in self._finals if j.utterance.segment_id == seg), None)
                if spec is not None and math.isclose(spec.utterance.end, utterance.end) and len(
                    spec.utterance.audio
                ) == len(utterance.audio):
                    spec.confirmed = True
                    if spec.done:
                        self._emit_final(spec)
                else:
                    if spec is not None:
                        self._finals.remove(spec)
                    self._finals.append(_Job(utterance, True, True, now))
            self._cond.notify_all()

    def _partial_of(self, channel: Channel, seg: str) -> bool:
        job = self._partials.get(channel)
        return job is not None and job.utterance.segment_id == seg

    def _retire_speculative(self, seg: str, end: float) -> None:
        """Speech resumed after a pause: a speculative final for the shorter audio is no longer the final."""
        for job in [j for j in self._finals if j.utterance.segment_id == seg and not j.confirmed]:
            if job.utterance.end >= end:
                continue
            self._finals.remove(job)
            if job.done and job.result is not None and job.result.text:
                # its text is still a good provisional line for the utterance so far
                self._deliver(job.result.__class__(**{**_fields(job.result), "kind": EventKind.PARTIAL}))

    def close(self) -> None:
        """No more utterances: finish pending finals, then the worker ends."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()

    def stop(self) -> None:
        """Abandon pending work (the call was hung up and the user does not want to wait)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    @property
    def lag(self) -> float:
        """Seconds of call audio said but not yet transcribed as final (0 when up to date)."""
        with self._cond:
            return self._lag_locked()

    def _lag_locked(self) -> float:
        pending = [j.utterance.end for j in self._finals if j.confirmed and not j.done]
        return max(0.0, self._audio_now - min(pending)) if pending else 0.0

    # --- worker side ------------------------------------------------------------------------------------

    def _next_job(self, finals_only: bool) -> _Job | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                # one final at a time per channel: they come out in order, each conditioned on the one before
                busy = {j.utterance.channel for j in self._finals if j.running}
                for job in self._finals:
                    if job.confirmed and not job.running and not job.done and job.utterance.channel not in busy:
                        job.running = True
                        return job
                lag = self._lag_locked()
                if self._partials and (lag > self.partial_lag_limit or self._closing):
                    self.stats.partials_dropped += len(self._partials)
                    self._partials.clear()
                speculative = [j for j in self._finals
                               if not j.running and not j.done and j.utterance.channel not in busy]
                if speculative:
                    # the speaker paused: most pauses are the end, and starting now hides the compute
                    # behind the rest of the silence wait; when speech goes on, the result still serves
                    # as that utterance's partial, so the work is not wasted
                    speculative[0].running = True
                    return speculative[0]
                if self._partials and not finals_only:
                    # partials are a nicety with a share of the worker's time: they thin out first; but the
                    # first one of an utterance, which tells the agent their words are being heard, goes now
                    first = [c for c, j in self._partials.items()
                             if j.utterance.segment_id not in self._partial_segments]
                    wait = self._partials_after - time.monotonic()
                    if wait > 0 and not first:
                        self._cond.wait(min(wait, 0.5))
                        continue
                    candidates = first or list(self._partials)
                    channel = min(candidates, key=lambda c: self._partials[c].queued_at)
                    job = self._partials.pop(channel)
                    job.running = True
                    return job
                if self._closing and not any(not j.done for j in self._finals if j.confirmed):
                    return None
                self._cond.wait(0.5)

    def _run(self, finals_only: bool) -> None:
        while True:
            job = self._next_job(finals_only)
            if job is None:
                return
            began = time.monotonic()
            optional = not job.final
            try:
                event = self._transcribe(job)
            except Exception:
                log.exception("transcription of %s failed", job.utterance.segment_id)
                event = None
            with self._cond:
                if optional:
                    spent = time.monotonic() - began
                    self._partials_after = time.monotonic() + spent * (1.0 / self.partial_share - 1.0)
                job.running = False
                job.done = True
                if job.final:
                    job.result = event or self._empty(job.utterance)
                    if job.confirmed:
                        self._emit_final(job)
                elif event is not None and event.text and job.utterance.segment_id not in self._finalized:
                    self.stats.partials += 1
                    self._deliver(event)
                self.stats.max_lag = max(self.stats.max_lag, self._lag_locked())
                self._cond.notify_all()  # another worker may be waiting for this channel or for the end

    def _transcribe(self, job: _Job) -> TranscriptEvent | None:
        utt = job.utterance
        if len(utt.audio) == 0:
            return None
        began = time.perf_counter()
        with self._cond:
            prompt, hotwords = self.prompt, self.hotwords
            previous = self._last_final.get(utt.channel)
        if self.condition_on_previous and previous is not None and utt.start - previous[0] < 10.0:
            prompt = f"{prompt.strip()} {previous[1][-60:]}" if prompt and prompt.strip() else previous[1][-60:]
        rec = self.recognizer.recognize(
            utt.audio, language=self.language, prompt=prompt, hotwords=hotwords, final=job.final
        )
        with self._cond:
            self.stats.compute_seconds += time.perf_counter() - began
        text = collapse_repetitions(rec.text.strip())
        duration = len(utt.audio) / SAMPLE_RATE
        if is_hallucination(
            text,
            no_speech_prob=rec.no_speech_prob,
            avg_logprob=rec.avg_logprob,
            speech_prob=utt.speech_prob,
            duration=duration,
        ):
            if job.final and text:
                self.stats.dropped_as_noise += 1
                log.debug("dropped %r on %s as non-speech", text, utt.channel.value)
            return None
        return TranscriptEvent(
            call_id=self.call_id,
            channel=utt.channel,
            kind=EventKind.FINAL if job.final else EventKind.PARTIAL,
            start=round(utt.start, 3),
            end=round(utt.end, 3),
            text=text,
            confidence=round(math.exp(min(0.0, rec.avg_logprob)), 3),
            segment_id=utt.segment_id,
            language=rec.language,
        )

    def _empty(self, utt: Utterance) -> TranscriptEvent:
        return TranscriptEvent(
            self.call_id, utt.channel, EventKind.FINAL, round(utt.start, 3), round(utt.end, 3), "", 0.0,
            utt.segment_id, language=self.language or "",
        )

    def _emit_final(self, job: _Job) -> None:
        """Called with the lock held, once a confirmed final has its result."""
        if job in self._finals:
            self._finals.remove(job)
        seg = job.utterance.segment_id
        if seg in self._finalized or job.result is None:
            return
        self._finalized.add(seg)
        if job.result.text:
            self._last_final[job.utterance.channel] = (job.utterance.end, job.result.text)
        if not job.result.text and not self._had_partials(seg):
            return  # nothing was shown for it, so there is nothing to retract
        self.stats.finals += 1 if job.result.text else 0
        self._deliver(job.result)

    def _had_partials(self, seg: str) -> bool:
        return seg in self._partial_segments

    def _deliver(self, event: TranscriptEvent) -> None:
        stamped = TranscriptEvent(**{**_fields(event), "emitted_at": round(self.clock() - self.started_at, 3)})
        if stamped.kind is EventKind.PARTIAL:
            self._partial_segments.add(stamped.segment_id)
        else:
            self.stats.final_latencies.append(stamped.emitted_at - stamped.end)
        try:
            self.on_event(stamped)
        except Exception:
            log.exception("on_event handler failed for %s", stamped.segment_id)


def _fields(event: TranscriptEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in TranscriptEvent.__slots__}
