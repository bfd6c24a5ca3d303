"""Cut each channel's audio into utterances, as it arrives.

Whisper transcribes whole stretches of audio, so the live engine must decide, per channel and in real time,
where someone starts and stops talking. This uses the Silero VAD network that faster-whisper ships, run
incrementally (its recurrent state carried between 32 ms windows), with settings tuned for calls:

- short pauses inside a sentence do not end the utterance, but 0.5 s of silence does, so finals come quickly;
- after a short pause the engine may already start the final speculatively (``PAUSED``), and only confirms
  it (``ENDED``) when the silence lasts; this hides most of the model's compute behind the silence wait;
- once an utterance is ``long_utterance`` long, its next short pause ends it: a monologue then produces
  finals at its breaths, each soon after it was said and cheap to recognise (a long final costs more, and
  the cost is paid after the speaker stops);
- an utterance longer than ``max_utterance`` with no pause at all is split at its quietest recent point,
  so Whisper never sees more than its 30 s window;
- blips shorter than ``min_speech`` (a cough, a click, a DTMF tone) never become utterances.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from audio.events import Channel
from audio.source import SAMPLE_RATE, Samples

WINDOW = 512  # Silero's window at 16 kHz: 32 ms
_CONTEXT = 64


class _OnnxSession(Protocol):
    """What we call of the onnxruntime session faster-whisper's Silero VAD model holds (untyped there)."""

    def run(
        self, output_names: None, inputs: Mapping[str, npt.NDArray[np.float32]]
    ) -> Sequence[npt.NDArray[np.float32]]: ...


class SpeechDetector:
    """Streaming Silero VAD: push any number of samples, get one speech probability per 32 ms window."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session: _OnnxSession = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def push(self, samples: Samples) -> Samples:
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        count = len(data) // WINDOW
        self._pending = data[count * WINDOW :].copy()
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        windows = data[: count * WINDOW].reshape(count, WINDOW)
        contexts = np.empty((count, _CONTEXT), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -_CONTEXT:]
        self._context = windows[-1, -_CONTEXT:].copy()
        batch = np.concatenate([contexts, windows], axis=1).astype(np.float32)
        probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        return np.asarray(probs, dtype=np.float32).reshape(-1)


@dataclass(frozen=True, slots=True)
class SegmenterSettings:
    threshold: float = 0.5
    """Speech probability that starts (or continues) speech."""
    neg_threshold: float = 0.35
    """Below this a window counts as silence; in between keeps the current state."""
    min_speech: float = 0.25
    """Utterances with less speech than this are dropped (clicks, coughs, tones)."""
    pause: float = 0.24
    """Silence after which the final is started speculatively."""
    end_silence: float = 0.5
    """Silence after which the utterance is over."""
    long_utterance: float = 5.0
    """From this length on, a shorter pause (``long_pause``) ends the utterance."""
    long_pause: float = 0.24
    """Silence that ends an utterance already ``long_utterance`` long."""
    max_utterance: float = 10.0
    """Longer utterances are split at their quietest recent point."""
    split_lookback: float = 2.0
    """How far back a forced split looks for the quietest point (the split part's final waits that long)."""
    pad: float = 0.2
    """Audio kept before the first and after the last speech window (Whisper needs the onsets)."""
    onset_threshold: float = 0.15
    """A soft onset: the windows just before the first speech window that stay at or above this probability
    (the VAD unsure) belong to the utterance's ``onset``, up to ``onset_lookback`` back."""
    onset_lookback: float = 1.0
    first_partial_after: float = 0.6
    partial_every: float = 1.0


class UtteranceState(Enum):
    PARTIAL = "partial"  # still speaking: a provisional transcript is wanted
    PAUSED = "paused"  # short silence: the final may be computed speculatively
    ENDED = "ended"  # the utterance is over: the final is wanted


_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Utterance:
    """A snapshot of one utterance on one channel.

    ``start``/``end`` are call times (seconds) of the first and last speech window; ``audio`` is the padded
    audio from ``audio_start`` on. ``speech_prob`` is the mean VAD probability over the speech windows.
    """

    channel: Channel
    segment_id: str
    state: UtteranceState
    start: float
    end: float
    audio_start: float
    audio: Samples
    speech_prob: float
    onset: float | None = None
    """Where the speech seems to begin (see SegmenterSettings.onset_threshold): at or before ``start``."""


class Segmenter:
    """The per-channel state machine from VAD probabilities to utterances."""

    def __init__(self, channel: Channel, settings: SegmenterSettings | None = None) -> None:
        self.channel = channel
        self.settings = s = settings or SegmenterSettings()
        self._detector = SpeechDetector()
        self._position = 0  # samples of this channel seen
        self._unscored = np.zeros(0, dtype=np.float32)  # samples waiting for a full VAD window
        self._pad_windows = max(1, round(s.pad * SAMPLE_RATE / WINDOW))
        self._preroll: deque[Samples] = deque(maxlen=self._pad_windows + 1)
        self._quiet_probs: deque[float] = deque(maxlen=max(1, round(s.onset_lookback * SAMPLE_RATE / WINDOW)))
        self._onset = 0
        self._active = False
        self._speech_id = ""
        self._audio: list[Samples] = []  # whole VAD windows from _audio_start on
        self._audio_start = 0
        self._probs: list[float] = []  # one per window in _audio
        self._first_speech = 0
        self._last_speech_end = 0
        self._speech_windows = 0
        self._silence = 0  # samples of silence since the last speech window
        self._paused_sent = False
        self._next_partial = 0

    @property
    def position(self) -> float:
        return self._position / SAMPLE_RATE

    @property
    def speaking(self) -> bool:
        return self._active

    def push(self, samples: Samples) -> list[Utterance]:
        """Feed the next samples of this channel; return the utterance snapshots they caused."""
        out: list[Utterance] = []
        probs = self._detector.push(samples)
        data = np.concatenate([self._unscored, samples]) if len(self._unscored) else samples
        for i, prob in enumerate(probs):
            window = data[i * WINDOW : (i + 1) * WINDOW]
            out.extend(self._window(window, float(prob)))
        self._unscored = data[len(probs) * WINDOW :].copy()
        return out

    def flush(self) -> list[Utterance]:
        """The source ended: close any open utterance."""
        if self._active:
            return self._finish()
        return []

    def _window(self, window: Samples, prob: float) -> list[Utterance]:
        s = self.settings
        start = self._position
        self._position += WINDOW
        if not self._active:
            self._remember(window)
            if prob >= s.threshold:
                self._onset = start - WINDOW * _unsure_run(self._quiet_probs, s.onset_threshold)
                self._quiet_probs.clear()
                self._begin(start)
                self._mark_speech(start, prob)
            else:
                self._quiet_probs.append(prob)
            return []
        self._audio.append(window)
        self._probs.append(prob)
        out: list[Utterance] = []
        if prob >= s.threshold or (prob > s.neg_threshold and self._silence == 0):
            self._mark_speech(start, prob)
            self._paused_sent = False
        else:
            self._silence += WINDOW
        speech_len = (self._last_speech_end - self._first_speech) / SAMPLE_RATE
        if self._silence >= s.end_silence * SAMPLE_RATE:
            return self._finish()
        if speech_len >= s.long_utterance and self._silence >= s.long_pause * SAMPLE_RATE:
            return self._finish()
        if self._silence >= s.pause * SAMPLE_RATE and not self._paused_sent:
            self._paused_sent = True
            if self._speech_windows * WINDOW >= s.min_speech * SAMPLE_RATE:
                out.append(self._snapshot(UtteranceState.PAUSED))
        elif (self._position - self._audio_start) / SAMPLE_RATE >= s.max_utterance:
            out.extend(self._split())
        elif self._silence == 0 and self._position >= self._next_partial and speech_len >= s.min_speech:
            self._next_partial = self._position + int(s.partial_every * SAMPLE_RATE)
            out.append(self._snapshot(UtteranceState.PARTIAL))
        return out

    def _remember(self, window: Samples) -> None:
        self._preroll.append(window)

    def _begin(self, start: int) -> None:
        s = self.settings
        self._active = True
        self._speech_id = f"{self.channel.value}-{next(_ids)}"
        self._audio = list(self._preroll)
        self._audio_start = start + WINDOW - len(self._audio) * WINDOW
        self._probs = [0.0] * (len(self._audio) - 1) + [1.0]
        self._preroll.clear()
        self._first_speech = start
        self._speech_windows = 0
        self._silence = 0
        self._paused_sent = False
        self._next_partial = start + int(s.first_partial_after * SAMPLE_RATE)

    def _mark_speech(self, start: int, prob: float) -> None:
        self._last_speech_end = start + WINDOW
        self._speech_windows += 1
        self._silence = 0

    def _joined(self) -> Samples:
        return np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)

    def _snapshot(self, state: UtteranceState, end_sample: int | None = None) -> Utterance:
        s = self.settings
        end = self._last_speech_end if end_sample is None else end_sample
        audio = self._joined()
        stop = min(len(audio), end - self._audio_start + self._pad_windows * WINDOW)
        speech = [p for p in self._probs if p >= s.threshold]
        return Utterance(
            channel=self.channel,
            segment_id=self._speech_id,
            state=state,
            start=self._first_speech / SAMPLE_RATE,
            end=end / SAMPLE_RATE,
            audio_start=self._audio_start / SAMPLE_RATE,
            audio=audio[:stop].copy(),
            speech_prob=float(np.mean(speech)) if speech else 0.0,
            onset=min(self._onset, self._first_speech) / SAMPLE_RATE,
        )

    def _finish(self) -> list[Utterance]:
        s = self.settings
        out: list[Utterance] = []
        if self._speech_windows * WINDOW >= s.min_speech * SAMPLE_RATE:
            out.append(self._snapshot(UtteranceState.ENDED))
        elif self._next_partial <= self._position:
            # partials may have been shown for it: an empty final retracts them
            snap = self._snapshot(UtteranceState.ENDED)
            out.append(
                Utterance(
                    snap.channel,
                    snap.segment_id,
                    snap.state,
                    snap.start,
                    snap.end,
                    snap.audio_start,
                    np.zeros(0, np.float32),
                    0.0,
                )
            )
        self._preroll.clear()
        self._preroll.extend(self._audio[-(self._pad_windows + 1) :])
        self._active = False
        self._audio = []
        self._probs = []
        return out

    def _split(self) -> list[Utterance]:
        """Split a long utterance at the quietest point of its last few seconds."""
        s = self.settings
        audio = self._joined()
        n_windows = len(audio) // WINDOW
        probs = np.asarray(self._probs[:n_windows], dtype=np.float32)
        lookback = min(n_windows - 1, int(s.split_lookback * SAMPLE_RATE / WINDOW))
        lo = n_windows - lookback
        # smooth so a single low window inside a word does not win over a real breath
        region = probs[lo:]
        if len(region) >= 3:
            region = np.convolve(region, np.ones(3, dtype=np.float32) / 3, mode="same").astype(np.float32)
        cut_window = lo + int(np.argmin(region)) if len(region) else n_windows - 1
        cut_window = max(cut_window, 1)
        cut_sample = self._audio_start + cut_window * WINDOW
        first = self._snapshot(UtteranceState.ENDED, end_sample=cut_sample)
        first = Utterance(
            first.channel,
            first.segment_id,
            first.state,
            first.start,
            cut_sample / SAMPLE_RATE,
            first.audio_start,
            audio[: cut_window * WINDOW].copy(),
            first.speech_prob,
            first.onset,
        )
        self._speech_id = f"{self.channel.value}-{next(_ids)}"
        self._audio = self._audio[cut_window:]
        self._audio_start = cut_sample
        self._probs = self._probs[cut_window:]
        self._first_speech = self._onset = cut_sample
        self._speech_windows = sum(1 for p in self._probs if p >= s.threshold)
        self._next_partial = self._position + int(s.partial_every * SAMPLE_RATE)
        return [first]


def _unsure_run(probs: deque[float], threshold: float) -> int:
    """How many of the newest ``probs`` in a row are at least ``threshold``."""
    run = 0
    for prob in reversed(probs):
        if prob < threshold:
            break
        run += 1
    return run
