"""The evaluation lines as the recogniser hears them: each plain or paraphrased line of
tests/assist/data/eval_utterances.jsonl spoken by a speech synthesiser (English: espeak-ng; Japanese: Open
JTalk from ``pyopenjtalk-plus`` in the Python given by ``--tts-python`` / AGENT_ASSIST_TTS_PYTHON, as
bench_support_ja does), sent through an 8 kHz mu-law round trip (a phone line) and transcribed by the app's
own live pipeline (faster-whisper with the product's model for the language, tiny.en / base, the voice guard
and the domain word list of the evaluation knowledge base). Whatever it got wrong stays wrong: these are
recognition errors made by the real recogniser, not written by hand.

Transcripts are cached (keyed by model and line) in the user's cache directory, never in the repository:
a rerun of bench_matching costs seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from assist.domain_words import domain_words
from assist.store import Store
from audio.events import Channel, TranscriptEvent
from audio.live import LiveTranscription, SharedModel
from audio.models import default_model_for
from audio.source import SAMPLE_RATE, ChannelMap, FileSource
from tests.bench.bench_support_ja import _TTS
from tests.bench.bench_transcription import transcript

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agent-assist" / "heard-lines.json"


def _speak(lines: list[tuple[str, str]], work: Path, tts_python: str) -> dict[str, Path]:
    """WAV files of ``lines`` ((language, text)); a language without a synthesiser is left out."""
    spoken: dict[str, Path] = {}
    ja = [(text, str(work / f"ja{i:03d}.wav")) for i, (lang, text) in enumerate(lines) if lang == "ja"]
    if ja:
        try:
            subprocess.run(
                [tts_python, "-c", _TTS],
                input=json.dumps(ja),
                text=True,
                check=True,
                capture_output=True,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
            spoken.update((text, Path(out)) for text, out in ja)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"  no Japanese speech synthesis ({exc}); Japanese heard lines skipped")
    if shutil.which("espeak-ng"):
        for i, (lang, text) in enumerate(lines):
            if lang == "en":
                out = work / f"en{i:03d}.wav"
                subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(out), text], check=True)
                spoken[text] = out
    else:
        print("  espeak-ng not installed; English heard lines skipped")
    return spoken


def _phone(path: Path, out: Path) -> Path:
    """``path`` after an 8 kHz mu-law round trip, back at 16 kHz mono."""
    audio, rate = sf.read(str(path), dtype="float32")
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        sf.write(tmp.name, soxr.resample(audio, rate, 8000), 8000, subtype="ULAW")
        ulaw, _ = sf.read(tmp.name, dtype="float32")
    sf.write(str(out), soxr.resample(ulaw, 8000, SAMPLE_RATE).astype(np.float32), SAMPLE_RATE, "PCM_16")
    return out


def _hear(path: Path, language: str, model: Any, words: Any) -> str:
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(path, realtime=False, channel_map=ChannelMap.mono(Channel.CUSTOMER)),
        call_id="heard",
        language=language,
        model=model,
        on_event=events.append,
        lexicon=words,
    )
    live.start()
    live.wait()
    return (" " if language == "en" else "").join(e.text.strip() for e in transcript(events))


def heard(lines: list[tuple[str, str]], store: Store, tts_python: str) -> dict[str, str]:
    """What the recogniser makes of each (language, text) line: text -> transcript."""
    cache: dict[str, str] = json.loads(CACHE.read_text("utf-8")) if CACHE.is_file() else {}
    key = {text: f"{default_model_for(lang)}|{text}" for lang, text in lines}
    todo = [(lang, text) for lang, text in lines if key[text] not in cache]
    if todo:
        print(f"  speaking and transcribing {len(todo)} lines (cached in {CACHE})")
        words = domain_words(store)
        with tempfile.TemporaryDirectory(prefix="heard-lines-") as tmp:
            work = Path(tmp)
            spoken = _speak(todo, work, tts_python)
            for i, (lang, text) in enumerate(todo):
                if text in spoken:
                    model = SharedModel.get(None, lang)
                    clip = _phone(spoken[text], work / f"phone{i:03d}.wav")
                    cache[key[text]] = _hear(clip, lang, model, words)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(cache, ensure_ascii=False, indent=0), "utf-8")
    return {text: cache[key[text]] for _, text in lines if key[text] in cache}
