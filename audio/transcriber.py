"""Turn utterances into transcript events with one shared model and its two workers.

The model is the scarce resource on a 2-core PC: both channels share one instance, and its workers always
pick the most valuable job. With two workers (one model instance, CTranslate2 running two calls side by
side), the first only ever takes finals, so a final never waits behind a partial that happened to be
running when the speaker stopped. Finals the agent is waiting for come first, then speculative
finals (started during a short pause, kept if the pause turns into the end of the utterance), and partials
last, only the newest per channel, within a share of the worker's time. When the worker falls behind,
partials are dropped before anything else, and ``lag`` says how far behind it is.

Sentence-sized finals lose the audio around them, which costs accuracy on telephone audio. So each
finished turn of a speaker (finals with short pauses between them, ended by a longer silence or by the
other side speaking) gets a second pass: its audio decoded again whole, as offline Whisper would, replacing
the turn's finals (events marked ``revised``; see :class:`audio.events.TranscriptEvent`).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from audio.events import Channel, EventKind, TranscriptEvent
from audio.guards import (
    bias_terms,
    collapse_repetitions,
    is_hallucination,
    prompt_agrees,
)
from audio.lexicon import merge_prompted
from audio.segmenter import Utterance, UtteranceState
from audio.source import SAMPLE_RATE, Samples

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str
    avg_logprob: float
    no_speech_prob: float
    language: str
    corrections: tuple[str, ...] = ()  # set on a second pass's text by the domain lexicon
    alternatives: tuple[str, ...] = ()  # the beam's next-best texts, best first (biased hearings only)


Corrector = Callable[[str], tuple[str, tuple[str, ...]]]
"""Puts misheard domain words right: text -> (corrected text, ``"heard -> word"`` for each change)."""
Nearby = Callable[[str], list[str]]
"""What was heard -> the listed words that sound like part of it (audio.lexicon.Lexicon.near)."""


class Recognizer(Protocol):
    """Speech to text for one stretch of 16 kHz audio (the real one wraps faster-whisper)."""

    def recognize(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None, final: bool
    ) -> Recognition: ...


@runtime_checkable
class TurnRecognizer(Protocol):
    """A recognizer that can also decode a whole turn (up to about 30 s) the way offline Whisper does."""

    def recognize_turn(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition: ...


# --- what we call of faster-whisper (it ships no type information) -------------------------------------


class _FeatureExtractor(Protocol):
    nb_max_frames: int
    hop_length: int

    def __call__(self, waveform: Samples) -> Samples: ...


class _GenerationResult(Protocol):
    sequences_ids: list[list[int]]
    scores: list[float]
    no_speech_prob: float


class _CTranslate2Whisper(Protocol):
    is_multilingual: bool

    def encode(self, features: object, to_cpu: bool = ...) -> object: ...
    def detect_language(self, features: object) -> list[list[tuple[str, float]]]: ...
    def generate(
        self, features: object, prompts: list[list[int]], **options: object
    ) -> list[_GenerationResult]: ...


class WhisperTokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...
    def decode(self, tokens: list[int]) -> str: ...


class WhisperSegment(Protocol):
    text: str
    tokens: list[int]
    avg_logprob: float
    no_speech_prob: float


class WhisperInfo(Protocol):
    language: str


class WhisperModelLike(Protocol):
    """What we use of ``faster_whisper.WhisperModel``."""

    feature_extractor: _FeatureExtractor
    model: _CTranslate2Whisper
    hf_tokenizer: object
    max_length: int

    def get_prompt(
        self,
        tokenizer: WhisperTokenizer,
        previous_tokens: list[int],
        without_timestamps: bool = ...,
        hotwords: str | None = ...,
    ) -> list[int]: ...
    def transcribe(
        self, audio: Samples, **options: object
    ) -> tuple[Iterable[WhisperSegment], WhisperInfo]: ...


class BeamAlternatives:
    """faster-whisper's CTranslate2 model, which also hands over the beam's next-best texts when asked.

    ``WhisperModel.transcribe`` keeps only the best of the beam's finished texts; the others come for almost
    nothing (the beam has them anyway). Within :meth:`collect`, each beam search of the calling thread asks
    for up to ``count`` of them and records their token ids, best first; other threads and calls are
    untouched. :class:`WhisperRecognizer` puts one around its model's once.
    """

    def __init__(self, inner: _CTranslate2Whisper) -> None:
        self._inner = inner
        self._local = threading.local()
        self.is_multilingual = bool(inner.is_multilingual)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def encode(self, features: object, to_cpu: bool = False) -> object:
        return self._inner.encode(features, to_cpu=to_cpu)

    def detect_language(self, features: object) -> list[list[tuple[str, float]]]:
        return self._inner.detect_language(features)

    @contextmanager
    def collect(self, count: int) -> Iterator[list[list[tuple[list[int], float]]]]:
        """Within the block, each beam search of this thread records its texts' token ids and scores (the
        beam's: mean log-probability over the length to the length penalty's power), best first."""
        found: list[list[tuple[list[int], float]]] = []
        self._local.wanted = (count, found)
        try:
            yield found
        finally:
            self._local.wanted = None

    def generate(
        self, features: object, prompts: list[list[int]], **options: object
    ) -> list[_GenerationResult]:
        wanted: tuple[int, list[list[tuple[list[int], float]]]] | None = getattr(self._local, "wanted", None)
        beam = options.get("beam_size", 1)
        if wanted is None or not isinstance(beam, int) or beam <= 1:
            return self._inner.generate(features, prompts, **options)
        count, found = wanted
        results = self._inner.generate(features, prompts, **{**options, "num_hypotheses": min(beam, count)})
        scores = results[0].scores or [0.0] * len(results[0].sequences_ids)
        found.append(
            [(list(ids), float(score)) for ids, score in zip(results[0].sequences_ids, scores, strict=True)]
        )
        return results


_WRAPPING = threading.Lock()


class WhisperRecognizer:
    """faster-whisper's model, driven directly for short call utterances.

    Whisper's encoder is built for 30 s windows and faster-whisper always pads to that, so every utterance
    costs as much as 30 s of audio. CTranslate2 also accepts a shorter window: the utterance plus
    ``margin_seconds`` (at least ``context_seconds``), several times cheaper. Partials always use the short
    window. Finals use one of at least ``context_seconds`` with multilingual models (it costs them little) and
    of at least ``english_final_context`` with English-only ones: the short window costs tiny.en more (its
    first-pass WER on the eval clips goes from 3.9 to 6.8 %, and to 22 % with 8 s), but it cuts the final's
    median latency from 0.76 to about 0.5 s, and the second pass over each finished turn
    (:meth:`recognize_turn`, the full window) brings the kept transcript back to 3.3 % (offline: 3.1 %).
    ``final_context_seconds`` forces a choice (None = full window, a number = short window of at least that
    many seconds). A decision by measured speed was tried and dropped: on a busy PC it flipped between runs,
    and with it the transcript. No VAD (already done), no timestamps; greedy partials, beam search (5) for
    every final. Decoding is most of a multilingual final's cost (about 16 ms a token with beam 5 and 11 ms
    greedy, base), and an earlier version decoded finals over 6 s greedily to save it; the beam gains about 4
    CER points on Japanese telephone audio for ~0.04 CPU-s per audio-s, and the latency budget holds with it
    (see the README's "Live transcription" figures). ``beam_max_seconds`` can still bring back greedy long
    finals for multilingual models (None: the beam at every length).
    """

    def __init__(
        self,
        model: WhisperModelLike,
        *,
        final_beam: int = 5,
        beam_max_seconds: float | None = None,
        context_seconds: float = 8.0,
        english_final_context: float = 15.0,
        margin_seconds: float = 3.0,
        final_context_seconds: float | str | None = "auto",
        max_new_tokens: int = 160,
        turn_length_penalty: float = 0.6,
        biased_hypotheses: int = 5,
        alternative_margin: float = 0.1,
    ) -> None:
        self.model = model
        self.final_beam = final_beam
        self.beam_max_seconds = beam_max_seconds
        self.context_seconds = context_seconds
        self.english_final_context = english_final_context
        self.final_context_seconds = final_context_seconds
        self.margin_seconds = margin_seconds
        self.max_new_tokens = max_new_tokens
        self.turn_length_penalty = turn_length_penalty
        self.biased_hypotheses = biased_hypotheses
        self.alternative_margin = alternative_margin
        with _WRAPPING:
            if not isinstance(model.model, BeamAlternatives):
                model.model = BeamAlternatives(model.model)
            self._beams: BeamAlternatives = model.model
        self._tokenizers: dict[str | None, WhisperTokenizer] = {}
        self._suppress: dict[str | None, list[int]] = {}

    def _tokenizer(self, language: str | None) -> WhisperTokenizer:
        if language not in self._tokenizers:
            from faster_whisper.tokenizer import Tokenizer
            from faster_whisper.transcribe import get_suppressed_tokens

            multilingual = bool(self.model.model.is_multilingual)
            tok = Tokenizer(
                self.model.hf_tokenizer,
                multilingual,
                task="transcribe",
                language=(language or "en") if multilingual else None,
            )
            # suppress first: another worker may read both as soon as the tokenizer is there
            self._suppress[language] = get_suppressed_tokens(tok, [-1])
            self._tokenizers[language] = tok
        return self._tokenizers[language]

    def _beam(self, final: bool, seconds: float) -> int:
        if not final:
            return 1
        limit = self.beam_max_seconds
        if limit is not None and self.model.model.is_multilingual and seconds > limit:
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
                minimum = self.context_seconds if model.model.is_multilingual else self.english_final_context
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
        beam = self._beam(final, len(audio) / SAMPLE_RATE)
        # a biased hearing keeps the beam's other texts: the domain words it spelled there are merged too
        hypotheses = min(beam, self.biased_hypotheses) if hotwords else 1
        result = model.model.generate(
            encoded,
            [tokens_in],
            beam_size=beam,
            num_hypotheses=max(1, hypotheses),
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
        others = self._alternatives(tok, list(zip(result.sequences_ids, result.scores, strict=False)), text)
        return Recognition(text, logprob, float(result.no_speech_prob), language, alternatives=others)

    def _alternatives(
        self, tok: WhisperTokenizer, beam: list[tuple[list[int], float]], best: str
    ) -> tuple[str, ...]:
        """The beam's other texts that score within :attr:`alternative_margin` of its best, without repeats
        (texts that differ only in their timestamps are the same text)."""
        if len(beam) < 2:
            return ()
        floor = beam[0][1] - self.alternative_margin
        texts = dict.fromkeys(" ".join(tok.decode(ids).split()) for ids, score in beam[1:] if score >= floor)
        return tuple(t for t in texts if t and t != best)

    def recognize_turn(
        self, audio: Samples, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition:
        """A finished turn, decoded as offline faster-whisper would (full window, timestamps, beam search,
        each segment conditioned on the one before), with two differences measured on the tuning half of
        tests/bench/bench_support_ja.py:

        - no temperature fallback: when the beam's text loops or scores low, faster-whisper samples it again
          at rising temperatures, so the same turn came out differently from run to run (4 texts in 4 runs of
          one sentence) at up to 5 more decodes; the caller's length check keeps the first pass instead;
        - ``turn_length_penalty`` (0.6 instead of CTranslate2's 1.0): the beam's score is divided by the
          length to that power, which favoured an ending cut short (交換いたします heard as 効果似たします).
        """
        wanted = self.biased_hypotheses if hotwords else 1
        with self._beams.collect(wanted) as found:
            segments, info = self.model.transcribe(
                audio,
                language=language,
                beam_size=self.final_beam,
                temperature=0.0,
                length_penalty=self.turn_length_penalty,
                vad_filter=False,
                initial_prompt=prompt or None,
                hotwords=hotwords or None,
            )
            parts = list(segments)
        tokens = sum(len(p.tokens) for p in parts)
        joiner = "" if info.language in ("ja", "zh") else " "
        text = joiner.join(" ".join(p.text.split()) for p in parts)
        logprob = sum(p.avg_logprob * len(p.tokens) for p in parts) / tokens if tokens else -10.0
        no_speech = min((p.no_speech_prob for p in parts), default=1.0)
        others: tuple[str, ...] = ()
        if len(found) == 1 and wanted > 1:  # one window decoded at once: its other texts are the turn's
            tok = self._tokenizer(str(info.language))
            others = self._alternatives(tok, found[0], text)
        return Recognition(text, logprob, no_speech, str(info.language), alternatives=others)


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
class _Revision:
    """A finished turn (two or more finals of one channel) waiting for its second pass."""

    channel: Channel
    finals: list[TranscriptEvent]
    floor: float = 0.0  # where the channel's previous turn's audio ended: this one's may not start before
    onset: float | None = None  # where its first utterance's speech seems to begin (Utterance.onset)
    running: bool = False


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
    revisions: int = 0  # turns whose finals were replaced by the second pass
    revisions_kept_first: int = 0  # turns whose second pass was dropped (same text, or implausible)
    revision_seconds: float = 0.0
    prompted_kept: int = 0  # finals and second passes whose biasing-prompt hearing was kept
    prompted_rejected: int = 0  # ... whose plain hearing was kept (the prompted one differed or was dropped)


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
        audio_for: Callable[[Channel, float, float], Samples] | None = None,
        turn_gap: float = 2.5,
        max_turn: float = 28.0,
        min_turn_finals: int = 1,
        turn_lead_in: float = 0.2,
        turn_tail: float = 0.3,
        corrector: Corrector | None = None,
        words: frozenset[str] = frozenset(),
        nearby: Nearby | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.call_id = call_id
        self.language = None if language in ("", "auto") else language
        self.on_event = on_event
        self.clock = clock
        self.started_at = clock() if started_at is None else started_at
        self.prompt = prompt
        self.hotwords = hotwords
        # the domain lexicon's reading-based correction, on finals and second passes (see audio/lexicon.py)
        self.corrector = corrector
        # the domain words a biasing prompt's hearing may write in place of the plain one (merge_prompted)
        self.words = words
        # the listed words that sound like part of an utterance's plain hearing: with hotwords set, its
        # prompted hearing gets these first among them (see _short_biasing)
        self.nearby = nearby
        # with a second pass, finals are decoded plainly (it brings the prompt's spellings seconds later)
        self.prompt_finals = False
        self.partial_lag_limit = partial_lag_limit
        # partials are a nicety: they may use at most this share of the worker's time, so on a slow PC
        # they thin out instead of delaying finals (real time here: compute is a real-world resource)
        self.partial_share = partial_share
        # like offline Whisper, the channel's previous sentence helps with the next (names, style, splits)
        self.condition_on_previous = True
        self._last_final: dict[Channel, tuple[float, str]] = {}
        # The second pass: the finals of each channel's current turn, closed after ``turn_gap`` of silence
        # (or at ``max_turn`` seconds, inside Whisper's window), then decoded again whole from the channel's
        # audio (``audio_for(channel, start, end)``); None turns the second pass off.
        self.audio_for = audio_for
        self.turn_gap = turn_gap
        self.max_turn = max_turn
        self.min_turn_finals = min_turn_finals
        # The turn's audio starts ``turn_lead_in`` before its first utterance's onset (Utterance.onset: a
        # soft start the VAD was unsure of, 毎晩 heard as 台湾 without it), never inside the channel's
        # previous turn, and ends ``turn_tail`` after its last speech window.
        self.turn_lead_in, self.turn_tail = turn_lead_in, turn_tail
        self._turn_ends: dict[Channel, float] = {}
        self._onsets: dict[str, float] = {}  # segment id -> onset, for the finals of open turns
        self._turns: dict[Channel, list[TranscriptEvent]] = {}
        self._latest: dict[Channel, tuple[str, float]] = {}  # newest utterance offered: segment id, start
        self._revisions: list[_Revision] = []
        self._speaking: dict[Channel, bool] = {}
        self._partials_after = 0.0
        self.stats = TranscriberStats()
        self._cond = threading.Condition()
        # Events made under the lock wait here and reach ``on_event`` outside it (see _flush): a listener
        # may call back into the transcriber, or wait for a thread that does, without a deadlock, and a slow
        # listener never holds up the capture thread's offer().
        self._outbox: list[TranscriptEvent] = []
        self._flushing = False
        self._finals: list[_Job] = []  # confirmed or speculative, in arrival order
        self._partials: dict[Channel, _Job] = {}
        self._finalized: set[str] = set()
        self._partial_segments: set[str] = set()  # segments that have shown a partial
        self._audio_now = 0.0  # newest call time seen by the capture side
        self._closing = False
        self._stopped = False
        self._threads = [
            threading.Thread(
                target=self._run, args=(i == 0 and workers > 1,), name=f"transcriber-{i}", daemon=True
            )
            for i in range(max(1, workers))
        ]

    # --- capture side -----------------------------------------------------------------------------------

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def set_corrector(
        self, corrector: Corrector | None, words: frozenset[str] | None = None, nearby: Nearby | None = None
    ) -> None:
        with self._cond:
            self.corrector = corrector
            self.nearby = nearby
            if words is not None:
                self.words = words

    def _short_biasing(self, heard: str, prompt: str | None, hotwords: str | None) -> str | None:
        """The hotwords for the prompted hearing of what was first heard as ``heard``: the listed words
        that sound like part of it (:attr:`nearby`) and that ``prompt`` does not already say, then the rest
        of ``hotwords``. Whisper keeps only the first ~220 tokens of its hotwords, so without this the words
        late in a team's list never reach it; the utterance's own few come first (tuning half of
        tests/bench/bench_support_ja.py: 10.5 -> 9.8 %, against 10.7 % for the near words alone and 10.2 %
        for them added to the prompt instead; repeating the prompt's words cost the calls 1-1.5 points)."""
        with self._cond:
            nearby = self.nearby
        if nearby is None or not hotwords:
            return hotwords
        try:
            near = nearby(heard)
        except Exception:  # a broken word list must not cost the transcript
            log.exception("choosing the words near %r failed", heard)
            return hotwords
        said = set(re.split(r"[、。\s]+", prompt or ""))
        return " ".join(dict.fromkeys([*(w for w in near if w not in said), *hotwords.split()]))

    def _correct(self, text: str) -> tuple[str, tuple[str, ...]]:
        with self._cond:
            corrector = self.corrector
        if corrector is None or not text:
            return text, ()
        try:
            return corrector(text)
        except Exception:  # a broken word list must not cost the transcript
            log.exception("correcting %r failed", text)
            return text, ()

    def set_biasing(self, prompt: str | None, hotwords: str | None) -> None:
        """Bias recognition with names and terms the agent is likely to hear (customer name, KB terms)."""
        with self._cond:
            self.prompt, self.hotwords = prompt, hotwords

    def advance(self, audio_time: float, channel: Channel | None = None, speaking: bool = False) -> None:
        """Audio up to ``audio_time`` has been heard; ``speaking``: whether ``channel``'s speaker is
        talking."""
        with self._cond:
            self._audio_now = max(self._audio_now, audio_time)
            if channel is not None:
                self._speaking[channel] = speaking
            if self._turns and self._close_turns():
                self._cond.notify_all()

    def offer(self, utterance: Utterance) -> None:
        now = self.clock()
        with self._cond:
            seg = utterance.segment_id
            if seg in self._finalized:
                return
            self._latest[utterance.channel] = (seg, utterance.start)
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
                if (
                    spec is not None
                    and math.isclose(spec.utterance.end, utterance.end)
                    and len(spec.utterance.audio) == len(utterance.audio)
                ):
                    spec.confirmed = True
                    if spec.done:
                        self._emit_final(spec)
                else:
                    if spec is not None:
                        self._finals.remove(spec)
                    self._finals.append(_Job(utterance, True, True, now))
            self._cond.notify_all()
        self._flush()

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
                self._deliver(replace(job.result, kind=EventKind.PARTIAL))

    def close(self) -> None:
        """No more utterances: finish pending finals (and the second pass of the last turns), then the workers
        end."""
        with self._cond:
            self._closing = True
            self._close_turns()
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

    def wait_for_backlog(self, seconds: float, timeout: float) -> bool:
        """Block until at most ``seconds`` of heard audio are still owed a final or a second pass (for
        sources read on demand, so a file read as fast as possible stays within the audio kept for the
        second pass). False when ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._stopped or self._backlog_locked() <= seconds, timeout)

    def _backlog_locked(self) -> float:
        owed = [j.utterance.start for j in self._finals if not j.done]
        owed += [turn[0].start for turn in self._turns.values()]
        owed += [r.finals[0].start for r in self._revisions]
        return max(0.0, self._audio_now - min(owed)) if owed else 0.0

    @property
    def lag(self) -> float:
        """Seconds of call audio said but not yet transcribed as final (0 when up to date)."""
        with self._cond:
            return self._lag_locked()

    def _lag_locked(self) -> float:
        pending = [j.utterance.end for j in self._finals if j.confirmed and not j.done]
        return max(0.0, self._audio_now - min(pending)) if pending else 0.0

    # --- worker side ------------------------------------------------------------------------------------

    def _next_job(self, finals_only: bool) -> _Job | _Revision | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                # one final at a time per channel: they come out in order, each conditioned on the one before
                busy = {j.utterance.channel for j in self._finals if j.running}
                for job in self._finals:
                    if (
                        job.confirmed
                        and not job.running
                        and not job.done
                        and job.utterance.channel not in busy
                    ):
                        job.running = True
                        return job
                lag = self._lag_locked()
                if self._partials and (lag > self.partial_lag_limit or self._closing):
                    self.stats.partials_dropped += len(self._partials)
                    self._partials.clear()
                speculative = [
                    j
                    for j in self._finals
                    if not j.running and not j.done and j.utterance.channel not in busy
                ]
                if speculative:
                    # the speaker paused: most pauses are the end, and starting now hides the compute
                    # behind the rest of the silence wait; when speech goes on, the result still serves
                    # as that utterance's partial, so the work is not wasted
                    speculative[0].running = True
                    return speculative[0]
                first = [
                    c
                    for c, j in self._partials.items()
                    if j.utterance.segment_id not in self._partial_segments
                ]
                if first and finals_only and any(r.running for r in self._revisions):
                    # the other worker is busy with a second pass (seconds, not a fraction of one): the first
                    # words of a new utterance must not wait for it
                    channel = min(first, key=lambda c: self._partials[c].queued_at)
                    job = self._partials.pop(channel)
                    job.running = True
                    return job
                waiting = [r for r in self._revisions if not r.running]
                if waiting and not finals_only and not first:
                    # a second pass corrects what the agent has already read: after anything that shows new
                    # words, before the partials that only update them
                    waiting[0].running = True
                    return waiting[0]
                if self._partials and not finals_only:
                    # partials are a nicety with a share of the worker's time: they thin out first; but the
                    # first one of an utterance, which tells the agent their words are being heard, goes now
                    wait = self._partials_after - time.monotonic()
                    if wait > 0 and not first:
                        self._cond.wait(min(wait, 0.5))
                        continue
                    candidates = first or list(self._partials)
                    channel = min(candidates, key=lambda c: self._partials[c].queued_at)
                    job = self._partials.pop(channel)
                    job.running = True
                    return job
                if (
                    self._closing
                    and not self._revisions
                    and not any(not j.done for j in self._finals if j.confirmed)
                ):
                    return None
                self._cond.wait(0.5)

    def _run(self, finals_only: bool) -> None:
        while True:
            job = self._next_job(finals_only)
            if job is None:
                return
            if isinstance(job, _Revision):
                self._run_revision(job)
                continue
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
                if self._closing:
                    self._close_turns()
                self._cond.notify_all()  # another worker may be waiting for this channel or for the end
            self._flush()

    def _transcribe(self, job: _Job) -> TranscriptEvent | None:
        utt = job.utterance
        if len(utt.audio) == 0:
            return None
        began = time.perf_counter()
        with self._cond:
            # Biasing only for finals (a partial is soon replaced, and prompt words were what Whisper wrote on
            # noise that the VAD let through, tests/bench/bench_guard.py), and by default only in the second
            # pass: decoding a final twice put the median final latency from 0.6 to 1.2 s on the shared PC.
            biased_final = job.final and (self.prompt_finals or self.audio_for is None)
            prompt, hotwords = (self.prompt, self.hotwords) if biased_final else (None, None)
            previous = self._last_final.get(utt.channel)
        context = None
        if self.condition_on_previous and previous is not None and utt.start - previous[0] < 10.0:
            context = previous[1][-60:]
        heard = self._hear(utt, context, None, None, job.final)
        if heard is not None:
            hotwords = self._short_biasing(heard[0], prompt, hotwords)
        bias = bias_terms(prompt, hotwords)
        if heard is not None and bias:
            # The same audio again with the biasing prompt, never where the plain hearing found no speech
            # (tests/bench/bench_guard.py); it only spells domain words (tests/bench/bench_support_ja.py).
            biased = " ".join(p for p in (prompt, context) if p and p.strip())
            prompted = self._hear(utt, biased, hotwords, bias, job.final)
            kept = replace(prompted[1], text=prompted[0]) if prompted is not None else None
            merged = self._merge(heard[0], kept, bias)
            heard = (merged, heard[1])
        with self._cond:
            self.stats.compute_seconds += time.perf_counter() - began
        if heard is None:
            return None
        text, rec = heard
        text, corrections = self._correct(text) if job.final else (text, ())
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
            corrections=corrections,
        )

    def _merge(self, plain: str, prompted: Recognition | None, bias: frozenset[str]) -> str:
        """``plain``, with the domain words the prompted hearing wrote where it sounds like ``plain``: in its
        text, then in the beam's next-best texts (:attr:`Recognition.alternatives`), each only where it
        still sounds like what is kept so far."""
        merged = plain
        if prompted is not None:
            with self._cond:
                words = self.words | bias
            merged = (
                merge_prompted(plain, prompted.text, words) if prompt_agrees(plain, prompted.text) else plain
            )
            for text in map(collapse_repetitions, prompted.alternatives):
                if prompt_agrees(merged, text):
                    merged = merge_prompted(merged, text, words, keep_known=True)
        with self._cond:
            if merged != plain:
                self.stats.prompted_kept += 1
            else:
                self.stats.prompted_rejected += 1
        return merged

    def _hear(
        self,
        utt: Utterance,
        prompt: str | None,
        hotwords: str | None,
        bias: frozenset[str] | None,
        final: bool,
    ) -> tuple[str, Recognition] | None:
        """One recognition of the utterance, None when the guard takes it for non-speech."""
        rec = self.recognizer.recognize(
            utt.audio, language=self.language, prompt=prompt, hotwords=hotwords, final=final
        )
        text = collapse_repetitions(rec.text.strip())
        if is_hallucination(
            text,
            no_speech_prob=rec.no_speech_prob,
            avg_logprob=rec.avg_logprob,
            speech_prob=utt.speech_prob,
            duration=len(utt.audio) / SAMPLE_RATE,
            bias=bias or frozenset(),
        ):
            if final and text and not bias:
                self.stats.dropped_as_noise += 1
                log.debug("dropped %r on %s as non-speech", text, utt.channel.value)
            return None
        return text, rec

    def _empty(self, utt: Utterance) -> TranscriptEvent:
        return TranscriptEvent(
            self.call_id,
            utt.channel,
            EventKind.FINAL,
            round(utt.start, 3),
            round(utt.end, 3),
            "",
            0.0,
            utt.segment_id,
            language=self.language or "",
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
            if job.utterance.onset is not None and self.audio_for is not None:
                self._onsets[seg] = job.utterance.onset
            self._add_to_turn(job.result)
        if not job.result.text and not self._had_partials(seg):
            return  # nothing was shown for it, so there is nothing to retract
        self.stats.finals += 1 if job.result.text else 0
        self._deliver(job.result)

    # --- the second pass over finished turns ------------------------------------------------------------

    def _add_to_turn(self, final: TranscriptEvent) -> None:
        if self.audio_for is None:
            return
        turn = self._turns.get(final.channel)
        if turn and (
            final.start - turn[-1].end >= self.turn_gap or final.end - turn[0].start > self.max_turn
        ):
            self._close_turn(final.channel)
        self._turns.setdefault(final.channel, []).append(final)

    def _close_turns(self) -> bool:
        """Close the turns that are over (lock held): their speaker has been silent for ``turn_gap``, or the
        stream is closing and nothing of theirs is pending. True when a second pass was queued."""
        queued = False
        for channel, turn in list(self._turns.items()):
            pending = any(j.utterance.channel is channel and not j.done for j in self._finals)
            latest = self._latest.get(channel)
            unfinished = latest is not None and latest[0] not in self._finalized
            if self._closing:
                over = not pending and not unfinished
            else:
                # speech that began before the gap was up belongs to this turn: wait for its final
                newer_in_turn = unfinished and latest is not None and latest[1] - turn[-1].end < self.turn_gap
                silent = self._audio_now - turn[-1].end >= self.turn_gap and not self._speaking.get(channel)
                # the other side speaking ends the turn too (a listener's "はい" as well: a natural cut)
                answered = any(on for c, on in self._speaking.items() if c is not channel)
                over = (
                    (silent or answered)
                    and not newer_in_turn
                    and not pending
                    and not self._speaking.get(channel)
                )
            if over:
                queued = self._close_turn(channel) or queued
        return queued

    def _close_turn(self, channel: Channel) -> bool:
        turn = self._turns.pop(channel, [])
        floor = self._turn_ends.get(channel, 0.0)
        onset = self._onsets.get(turn[0].segment_id) if turn else None
        for final in turn:
            self._onsets.pop(final.segment_id, None)
        if turn:
            self._turn_ends[channel] = turn[-1].end + self.turn_tail
        if len(turn) < self.min_turn_finals:
            return False
        self._revisions.append(_Revision(channel, turn, floor, onset))
        return True

    def _run_revision(self, job: _Revision) -> None:
        began = time.perf_counter()
        try:
            replacement = self._revise(job)
        except Exception:
            log.exception("second pass over %s failed", job.finals[0].segment_id)
            replacement = None
        with self._cond:
            spent = time.perf_counter() - began
            self.stats.compute_seconds += spent
            self.stats.revision_seconds += spent
            if job in self._revisions:
                self._revisions.remove(job)
            if replacement is not None and not self._stopped:
                self._emit_revision(job, replacement)
            else:
                self.stats.revisions_kept_first += 1
            self._cond.notify_all()
        self._flush()

    def _revise(self, job: _Revision) -> Recognition | None:
        """Decode the turn again whole; None when the first pass stands. With a biasing prompt, the turn is
        also decoded with it, and the domain words that hearing wrote are merged in (see :meth:`_merge`)."""
        if not isinstance(self.recognizer, TurnRecognizer) or self.audio_for is None:
            return None
        first, last = job.finals[0], job.finals[-1]
        onset = first.start if job.onset is None else min(job.onset, first.start)
        start = max(0.0, job.floor, onset - self.turn_lead_in)
        audio = self.audio_for(job.channel, min(start, first.start), last.end + self.turn_tail)
        if len(audio) == 0:
            return None
        with self._cond:
            prompt, hotwords = self.prompt, self.hotwords
        language = self.language or first.language or None
        joiner = "" if (language or "") in ("ja", "zh") else " "
        before = joiner.join(f.text for f in job.finals)
        plain = self._revision(job, audio, language, None, None, frozenset(), before)
        hotwords = self._short_biasing(plain.text if plain is not None else before, prompt, hotwords)
        bias = bias_terms(prompt, hotwords)
        if bias:
            base = plain.text if plain is not None else before
            prompted = self._revision(job, audio, language, prompt, hotwords, bias, before)
            merged = self._merge(base, prompted, bias)
            source = plain or prompted
            if merged != base and source is not None:
                plain = Recognition(merged, source.avg_logprob, source.no_speech_prob, source.language)
        if plain is None or _letters(plain.text) == _letters(before):
            return None  # nothing to correct: the lines stay as they are
        text, corrections = self._correct(plain.text)
        return Recognition(text, plain.avg_logprob, plain.no_speech_prob, plain.language, corrections)

    def _revision(
        self,
        job: _Revision,
        audio: Samples,
        language: str | None,
        prompt: str | None,
        hotwords: str | None,
        bias: frozenset[str],
        before: str,
    ) -> Recognition | None:
        first = job.finals[0]
        recognizer = self.recognizer
        if not isinstance(recognizer, TurnRecognizer):
            return None
        rec = recognizer.recognize_turn(audio, language=language, prompt=prompt, hotwords=hotwords)
        text = collapse_repetitions(rec.text.strip())
        if not text or is_hallucination(
            text,
            no_speech_prob=rec.no_speech_prob,
            avg_logprob=rec.avg_logprob,
            speech_prob=1.0,
            duration=len(audio) / SAMPLE_RATE,
            bias=bias,
        ):
            log.debug("second pass over %s dropped as non-speech: %r", first.segment_id, text)
            return None
        ratio = len(_letters(text)) / max(1, len(_letters(before)))
        if not 0.6 <= ratio <= 1.6:
            # the whole-turn decode skipped or invented a stretch: the sentence-by-sentence text is safer
            log.debug(
                "second pass over %s dropped: %d%% of the first pass's length",
                first.segment_id,
                round(100 * ratio),
            )
            return None
        return replace(rec, text=text)

    def _emit_revision(self, job: _Revision, rec: Recognition) -> None:
        """Lock held: the turn's first segment takes the whole text, the others are emptied."""
        first, last = job.finals[0], job.finals[-1]
        self.stats.revisions += 1
        self._deliver(
            TranscriptEvent(
                call_id=self.call_id,
                channel=job.channel,
                kind=EventKind.FINAL,
                start=first.start,
                end=last.end,
                text=rec.text,
                confidence=round(math.exp(min(0.0, rec.avg_logprob)), 3),
                segment_id=first.segment_id,
                language=first.language,
                revised=True,
                corrections=rec.corrections,
            )
        )
        for final in job.finals[1:]:
            self._deliver(
                replace(
                    final, text="", confidence=0.0, revised=True, merged_into=first.segment_id, corrections=()
                )
            )
        latest = self._last_final.get(job.channel)
        if latest is not None and abs(latest[0] - last.end) < 0.01:  # no newer final to condition on
            self._last_final[job.channel] = (latest[0], rec.text)

    def _had_partials(self, seg: str) -> bool:
        return seg in self._partial_segments

    def _deliver(self, event: TranscriptEvent) -> None:
        """Lock held: stamp the event and queue it for :meth:`_flush`, which hands it to ``on_event``."""
        stamped = replace(event, emitted_at=round(self.clock() - self.started_at, 3))
        if stamped.kind is EventKind.PARTIAL:
            self._partial_segments.add(stamped.segment_id)
        elif not stamped.revised:
            self.stats.final_latencies.append(stamped.emitted_at - stamped.end)
        self._outbox.append(stamped)

    def _flush(self) -> None:
        """Lock NOT held: hand the queued events to ``on_event``, in the order they were made, one at a
        time. Whichever thread finds the outbox idle delivers; a thread that queues events while another
        delivers leaves them to it (also a listener calling back into the transcriber on its own thread), so
        the listener is never called twice at once nor out of order."""
        with self._cond:
            if self._flushing:
                return
            self._flushing = True
        try:
            while True:
                with self._cond:
                    batch, self._outbox = self._outbox, []
                    if not batch:
                        self._flushing = False
                        return
                for event in batch:
                    try:
                        self.on_event(event)
                    except Exception:
                        log.exception("on_event handler failed for %s", event.segment_id)
        except BaseException:
            with self._cond:
                self._flushing = False
            raise


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
