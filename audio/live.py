"""A live call's transcription, put together: source -> recording + per-channel VAD -> one shared model.

This is what the desktop (and the demo, and ``agent-assist transcribe``) use. It runs two threads of its
own: the capture thread (reads the source, writes the recordings, runs the VAD, checks for speakerphone
bleed) and the transcription workers. Callbacks are called from those threads, never from the caller's, so
a Qt app must forward them to its main thread (a queued signal) and return quickly.

Loading a Whisper model takes seconds, so :class:`SharedModel` loads each model once per process, in the
background, and every call shares it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO, ClassVar

import numpy as np

from audio.events import AudioStatusEvent, AudioStatusKind, Channel, TranscriptEvent
from audio.guards import bleed_ratio
from audio.lexicon import corrector_for, lexicon_for
from audio.models import ResolvedModel, cpu_threads, default_model_for, resolve_model
from audio.recording import ChannelRecording, RecordingStopped
from audio.segmenter import Segmenter, SegmenterSettings, Utterance
from audio.source import SAMPLE_RATE, AudioChunk, AudioSource, Samples
from audio.transcriber import (
    Recognizer,
    StreamingTranscriber,
    TranscriberStats,
    WhisperModelLike,
    WhisperRecognizer,
)

log = logging.getLogger(__name__)


def transcription_workers() -> int:
    """Calls the shared model runs side by side: two (one kept for finals) wherever there are two cores.

    Measured on the eval clips (tests/bench/bench_transcription.py): with one worker, a final whose
    speaker stopped while a partial of a long utterance was running waited up to a second for it.
    """
    return 2 if cpu_threads() >= 2 else 1


def transcription_threads() -> int:
    """CTranslate2 threads per worker: the cores shared out between the workers (at least one, at most four),
    so the two workers never ask for more threads than there are cores.

    Measured on a 2-core PC, one thread per worker against two (the rule before round 6, which let a final
    running alone use the whole PC):
    - the two-channel Japanese telephone call (tests/bench/bench_support_ja.py --half tuning --call-only),
      two pairs of runs: CPU 36 / 36 % instead of 41 / 41 %, final latency p50 / p95 0.63 / 0.73 and
      0.70 / 0.83 s instead of 0.67 / 0.80 and 0.76 / 0.90 s, the same text. The second worker is rarely
      idle in a call (partials, second passes), so four threads on two cores mostly waited on each other;
      decoding, most of a final's work, gained little from a second thread (a short greedy decode 0.30 s
      for 0.46 CPU-s with two threads, 0.33 CPU-s with one).
    - English (bench_transcription --only en --quick): p50 / p95 0.49 / 0.61 s instead of 0.51 / 0.64 s,
      CPU 16 instead of 17 %, the same text.
    - It costs the second pass: a 30 s window's encode takes 0.9 s instead of 0.55 s, and turns are revised
      about 0.3 s later (p50 4.0-4.2 s instead of 3.7-3.9 s after the turn's last words).
    Machines with more cores give each worker more threads (4 cores: two each); that was not measured.
    """
    return max(1, min(4, cpu_threads() // transcription_workers()))


class SharedModel:
    """One loaded faster-whisper model per weights directory, for the whole process.

    ``preload`` starts loading in a background thread and returns at once (call it at app launch);
    ``get`` waits for it. Errors (no weights) come out of ``get`` / the future as ModelNotFoundError.
    """

    _lock = threading.Lock()
    _loading: ClassVar[dict[str, Future[WhisperModelLike]]] = {}

    @classmethod
    def preload(
        cls, name_or_path: str | None = None, language: str = "ja", threads: int | None = None
    ) -> Future[WhisperModelLike]:
        """Start loading (resolving, possibly joining the packaged weights, warming up) in the background.

        ``threads`` overrides :func:`transcription_threads` (the benchmark compares settings with it).
        """
        threads = threads or transcription_threads()
        key = f"{name_or_path or default_model_for(language)}|{threads}"
        with cls._lock:
            future = cls._loading.get(key)
            if future is None or (future.done() and future.exception() is not None):
                future = Future()
                cls._loading[key] = future
                threading.Thread(
                    target=cls._load,
                    args=(name_or_path, language, threads, future),
                    name=f"load-{key}",
                    daemon=True,
                ).start()
            return future

    @classmethod
    def get(
        cls,
        name_or_path: str | None = None,
        language: str = "ja",
        timeout: float | None = None,
        threads: int | None = None,
    ) -> WhisperModelLike:
        return cls.preload(name_or_path, language, threads).result(timeout)

    @staticmethod
    def _load(
        name_or_path: str | None, language: str, threads: int, future: Future[WhisperModelLike]
    ) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            from faster_whisper import WhisperModel

            resolved: ResolvedModel = resolve_model(name_or_path, language)

            began = time.perf_counter()
            model = WhisperModel(
                str(resolved.path),
                device="cpu",
                # float32 measured worse here (bench_support_ja tuning half 11.1 vs 9.6 %) at ~1.5x the CPU
                compute_type="int8",
                cpu_threads=threads,
                num_workers=transcription_workers(),
            )
            model.encode = EncoderMemo(model.encode)
            # the first transcription pays for allocations; pay it here, not on the first words of a call
            warm = np.zeros(SAMPLE_RATE, dtype=np.float32)
            list(
                model.transcribe(
                    warm,
                    language="en" if resolved.name.endswith(".en") else None,
                    beam_size=1,
                    vad_filter=False,
                    without_timestamps=True,
                )[0]
            )
            log.info(
                "loaded Whisper %s from %s in %.1f s",
                resolved.name,
                resolved.path,
                time.perf_counter() - began,
            )
            future.set_result(model)
        except BaseException as exc:
            future.set_exception(exc)


class EncoderMemo:
    """faster-whisper's ``WhisperModel.encode`` with its last few results kept, for the same window again.

    A finished turn's second pass decodes the same audio twice, plainly and with the biasing prompt
    (audio/transcriber.py), and ``WhisperModel.transcribe`` encodes a full 30 s window each time. Whisper's
    encoder is deterministic and the window is the same, so the second decode reuses the first's encoding:
    the same text for half the encoder work. Measured with base on 2 cores: a 30 s encode is 0.9 CPU-s of a
    3.75 s turn's 1.9 CPU-s decode (an 8 s window's, used by finals and partials, 0.1 CPU-s); on the
    two-channel call (tests/bench/bench_support_ja.py) the second pass was about three quarters of the CPU.
    Windows are told apart by a digest of their features (about 1 ms for 30 s); ``size`` results are kept
    (a few MB each), enough for both workers' turns.
    """

    def __init__(self, encode: Callable[[Samples], object], size: int = 4) -> None:
        self._encode = encode
        self._size = size
        self._kept: OrderedDict[tuple[tuple[int, ...], bytes], object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def __call__(self, features: Samples) -> object:
        window = np.ascontiguousarray(features)
        key = (window.shape, hashlib.blake2b(window.tobytes(), digest_size=16).digest())
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                self.hits += 1
                return self._kept[key]
        encoded = self._encode(features)
        with self._lock:
            self._kept[key] = encoded
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return encoded

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


HISTORY_SECONDS = 90.0
"""How much of each channel's audio is kept for the bleed check and the second pass over finished turns."""
BACKLOG_SECONDS = 45.0
"""A source read on demand (a file, as fast as possible) waits while more than this is owed a final or a
second pass, so the audio for the second pass is still in the history when its turn comes."""


class _ChannelHistory:
    """The last stretch of one channel's audio: to compare the two sides for speakerphone bleed, and for the
    second pass over a finished turn."""

    def __init__(self, seconds: float = HISTORY_SECONDS) -> None:
        self._buf = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
        self._written = 0

    def add(self, samples: Samples) -> None:
        n = len(samples)
        if n >= len(self._buf):
            self._buf[:] = samples[-len(self._buf) :]
        else:
            pos = self._written % len(self._buf)
            first = min(n, len(self._buf) - pos)
            self._buf[pos : pos + first] = samples[:first]
            self._buf[: n - first] = samples[first:]
        self._written += n

    def span(self, start: int, stop: int, whole: bool = False) -> Samples:
        """Samples ``start:stop`` of the channel, as far as kept and arrived (``whole``: from ``start`` on,
        or nothing; the end may still be cut at what has arrived: a recording ends where it ends)."""
        if whole and start < self._written - len(self._buf):
            return np.zeros(0, dtype=np.float32)
        start = max(start, self._written - len(self._buf), 0)
        stop = min(stop, self._written)
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        idx = np.arange(start, stop) % len(self._buf)
        return self._buf[idx]


class LiveTranscription:
    """Transcribe one call from ``source`` with ``on_event`` / ``on_status`` callbacks.

    ``model`` may be a loaded WhisperModel, a name (``base``, ``tiny.en``), a model directory, or None for
    the default for ``language`` (``ja``, ``en`` or ``auto``). ``record_dir`` gets
    ``<call_id>/<channel>.wav``. ``prompt``/``hotwords`` bias recognition towards expected words (the
    customer's name, knowledge-base terms); they can be changed mid-call with :meth:`set_biasing`.
    ``lexicon`` is a plain list of domain words (the caller's name first; (word, reading) pairs where the
    reading is known) that finals are corrected against by reading (audio/lexicon.py); each correction is
    kept on the event (``corrections``); :meth:`set_lexicon` changes it mid-call.

    A final event with empty text retracts the partials shown for its ``segment_id`` (what looked like
    speech was not).
    """

    def __init__(
        self,
        source: AudioSource,
        *,
        call_id: str,
        language: str = "ja",
        model: WhisperModelLike | str | Path | None = None,
        record_dir: Path | None = None,
        record_opener: Callable[[Path], BinaryIO] | None = None,
        on_event: Callable[[TranscriptEvent], None],
        on_status: Callable[[AudioStatusEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        prompt: str | None = None,
        hotwords: str | None = None,
        recognizer: Recognizer | None = None,
        segmenter_settings: SegmenterSettings | None = None,
        level_interval: float = 0.1,
        lag_interval: float = 1.0,
        second_pass: bool = True,
        lexicon: Iterable[str | tuple[str, str]] | None = None,
    ) -> None:
        self.source = source
        self.call_id = call_id
        self.language = language
        self.on_event = on_event
        self.on_status = on_status or (lambda _event: None)
        self.clock = clock
        self._model = model
        self._recognizer = recognizer
        self._prompt, self._hotwords = prompt, hotwords
        self._settings = segmenter_settings
        self._record_dir = record_dir
        self._record_opener = record_opener
        self._level_interval = level_interval
        self._lag_interval = lag_interval
        self._second_pass = second_pass
        self._lexicon_words = None if lexicon is None else list(lexicon)
        self.recordings: dict[Channel, Path] = {}
        self._recorders: dict[Channel, ChannelRecording] = {}
        self._segmenters: dict[Channel, Segmenter] = {}
        self._history: dict[Channel, _ChannelHistory] = {}
        self._transcriber: StreamingTranscriber | None = None
        self._capture: threading.Thread | None = None
        self._stop = threading.Event()
        self._started_at = 0.0
        self.audio_seconds = 0.0
        self.error: BaseException | None = None

    # --- control ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Load (or reuse) the model, open recordings and start the threads. Raises on a bad model or
        source."""
        recognizer = self._recognizer or WhisperRecognizer(self._load_model())
        lexicon = lexicon_for(self._lexicon_words)
        self._started_at = self.clock()
        self._transcriber = StreamingTranscriber(
            recognizer,
            call_id=self.call_id,
            language=self.language,
            on_event=self.on_event,
            clock=self.clock,
            started_at=self._started_at,
            prompt=self._prompt,
            hotwords=self._hotwords,
            workers=transcription_workers(),
            audio_for=self._audio_span if self._second_pass else None,
            corrector=corrector_for(lexicon),
            words=_plain_words(self._lexicon_words),
            nearby=lexicon.near if lexicon is not None else None,
        )
        for channel in self.source.channels:
            self._segmenters[channel] = Segmenter(channel, self._settings)
            self._history[channel] = _ChannelHistory()
            if self._record_dir is not None:
                path = self._record_dir / _safe(self.call_id) / f"{channel.value}.wav"
                try:
                    self._recorders[channel] = ChannelRecording(
                        path, clock=self.clock, opener=self._record_opener
                    )
                    self.recordings[channel] = path
                except OSError as exc:
                    self._status(
                        AudioStatusKind.RECORDING_STOPPED,
                        channel,
                        f"cannot record {channel.value} to {path}: {exc.strerror or exc}",
                    )
        self.source.start()
        self._transcriber.start()
        self._capture = threading.Thread(target=self._capture_loop, name="capture", daemon=True)
        self._capture.start()

    def stop(self) -> None:
        """End the call now: stop capturing; utterances still open are finished, pending finals are kept."""
        self._stop.set()
        self.source.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the source ended and every final is out. True when done."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in (self._capture,):
            if thread is not None:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    return False
        if self._transcriber is None:
            return True
        return self._transcriber.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def set_lexicon(self, words: Iterable[str | tuple[str, str]] | None) -> None:
        """Domain words for the reading-based correction of finals (the caller's name first); None: off."""
        self._lexicon_words = None if words is None else list(words)
        if self._transcriber is not None:
            lexicon = lexicon_for(self._lexicon_words)
            self._transcriber.set_corrector(
                corrector_for(lexicon),
                _plain_words(self._lexicon_words),
                lexicon.near if lexicon is not None else None,
            )

    def set_biasing(self, prompt: str | None, hotwords: str | None = None) -> None:
        self._prompt, self._hotwords = prompt, hotwords
        if self._transcriber is not None:
            self._transcriber.set_biasing(prompt, hotwords)

    @property
    def lag(self) -> float:
        return self._transcriber.lag if self._transcriber is not None else 0.0

    @property
    def stats(self) -> TranscriberStats:
        return self._transcriber.stats if self._transcriber is not None else TranscriberStats()

    def _load_model(self) -> WhisperModelLike:
        if self._model is None or isinstance(self._model, str | Path):
            return SharedModel.get(str(self._model) if self._model is not None else None, self.language)
        return self._model

    # --- capture thread ---------------------------------------------------------------------------------

    def _capture_loop(self) -> None:
        assert self._transcriber is not None
        next_level = 0.0
        next_lag = 0.0
        levels: dict[Channel, float] = {}
        # a file read as fast as possible would outrun the model and the audio kept for the second pass;
        # a live device cannot wait (there, a second pass whose audio is gone is skipped)
        on_demand = self._second_pass and getattr(self.source, "realtime", True) is False
        try:
            while not self._stop.is_set():
                if on_demand:
                    self._transcriber.wait_for_backlog(BACKLOG_SECONDS, timeout=10.0)
                items = self.source.read(0.1)
                if not items:
                    if self.source.ended:
                        break
                    continue
                for item in items:
                    if isinstance(item, AudioStatusEvent):
                        self._forward_status(item)
                        continue
                    self._take(item)
                    levels[item.channel] = max(levels.get(item.channel, 0.0), _peak(item.samples))
                now = self.clock()
                if now >= next_level:
                    next_level = now + self._level_interval
                    for channel, level in levels.items():
                        self._status(AudioStatusKind.LEVEL, channel, "", level)
                    levels.clear()
                if now >= next_lag:
                    next_lag = now + self._lag_interval
                    self._status(AudioStatusKind.LAG, None, "", round(self._transcriber.lag, 2))
        except BaseException as exc:  # a broken source must not leave the call hanging
            self.error = exc
            log.exception("capture failed")
            self._status(AudioStatusKind.SOURCE_ENDED, None, f"audio input failed: {exc}")
        finally:
            for segmenter in self._segmenters.values():
                for utt in segmenter.flush():
                    self._offer(utt)
            for recorder in self._recorders.values():
                recorder.close()
            self.source.stop()
            self._transcriber.close()
            if self.error is None:
                self._status(AudioStatusKind.SOURCE_ENDED, None, "audio source ended", self.audio_seconds)

    def _take(self, chunk: AudioChunk) -> None:
        assert self._transcriber is not None
        channel, samples = chunk.channel, chunk.samples
        recorder = self._recorders.get(channel)
        if recorder is not None and recorder.active:
            try:
                recorder.write(samples)
            except RecordingStopped as exc:
                self._status(AudioStatusKind.RECORDING_STOPPED, channel, str(exc))
        self._history[channel].add(samples)
        segmenter = self._segmenters[channel]
        for utt in segmenter.push(samples):
            self._offer(utt)
        self.audio_seconds = max(self.audio_seconds, segmenter.position)
        self._transcriber.advance(segmenter.position, channel, segmenter.speaking)

    def _offer(self, utt: Utterance) -> None:
        assert self._transcriber is not None
        if len(utt.audio) and self._is_bleed(utt):
            self._transcriber.stats.dropped_as_bleed += 1
            log.debug("%s %s is bleed from the other channel", utt.channel.value, utt.segment_id)
            utt = Utterance(
                utt.channel,
                utt.segment_id,
                utt.state,
                utt.start,
                utt.end,
                utt.audio_start,
                np.zeros(0, np.float32),
                0.0,
            )
        self._transcriber.offer(utt)

    def _audio_span(self, channel: Channel, start: float, end: float) -> Samples:
        """A stretch of one channel's recent audio, for the second pass over a finished turn."""
        history = self._history.get(channel)
        if history is None:
            return np.zeros(0, dtype=np.float32)
        return history.span(int(start * SAMPLE_RATE), int(end * SAMPLE_RATE), whole=True)

    def _is_bleed(self, utt: Utterance) -> bool:
        """The same voice on both channels (speakerphone): keep only the channel where it is louder."""
        others = [c for c in self._history if c is not utt.channel]
        if not others:
            return False
        start = int(utt.audio_start * SAMPLE_RATE)
        other = self._history[others[0]].span(start, start + len(utt.audio))
        if len(other) < len(utt.audio) // 2:
            return False
        correlation, ratio = bleed_ratio(utt.audio[: len(other)], other)
        if correlation < 0.8:
            return False
        # equal levels (the very same signal): the customer's voice leaked to the agent, not the reverse
        return ratio < 0.9 or (ratio <= 1.1 and utt.channel is Channel.AGENT)

    def _forward_status(self, event: AudioStatusEvent) -> None:
        try:
            self.on_status(event)
        except Exception:
            log.exception("on_status handler failed")

    def _status(
        self, kind: AudioStatusKind, channel: Channel | None, message: str, value: float = 0.0
    ) -> None:
        self._forward_status(AudioStatusEvent(kind=kind, channel=channel, message=message, value=value))


def _peak(samples: Samples) -> float:
    return float(np.max(np.abs(samples))) if len(samples) else 0.0


def _safe(call_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in call_id) or "call"


def _plain_words(words: Iterable[str | tuple[str, str]] | None) -> frozenset[str]:
    return frozenset(w if isinstance(w, str) else w[0] for w in words or ())
