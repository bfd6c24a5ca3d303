"""``agent-assist --self-test``: prove on this machine, from source or from the PyInstaller build, that the
parts an agent depends on work: the default model loads from offline weights, the bundled clip is transcribed
with the expected words, and the main window opens and closes. Prints one line and exits 0 only when all
pass."""

from __future__ import annotations

import os
import re
import sys
import time
import wave

import numpy as np

from resources import ROOT as RESOURCES

SELFTEST_CLIP = RESOURCES / "selftest" / "selftest_en.wav"
EXPECTED_WORDS = ("thank", "calling", "customer", "support", "help")


def _read_clip() -> np.ndarray:
    with wave.open(str(SELFTEST_CLIP), "rb") as wav:
        if wav.getframerate() != 16000 or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise RuntimeError(f"{SELFTEST_CLIP} must be 16 kHz mono 16-bit PCM")
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def _transcribe(language: str) -> tuple[str, str, float]:
    from faster_whisper import WhisperModel

    from audio.models import cpu_threads, resolve_model

    resolved = resolve_model(None, language)
    started = time.perf_counter()
    model = WhisperModel(str(resolved.path), device="cpu", compute_type="int8", cpu_threads=cpu_threads())
    segments, _info = model.transcribe(_read_clip(), language="en", beam_size=1, vad_filter=False)
    text = " ".join(segment.text.strip() for segment in segments)
    return f"{resolved.name} ({resolved.source})", text, time.perf_counter() - started


def _open_main_window() -> float:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import create_main_window, ensure_app

    started = time.perf_counter()
    app = ensure_app()
    window = create_main_window()
    window.show()
    app.processEvents()
    if not window.isVisible():
        raise RuntimeError("the main window did not open")
    window.close()
    app.processEvents()
    return time.perf_counter() - started


def run_self_test(language: str = "ja") -> int:
    """Language 'ja' exercises the multilingual model, the one Japanese calls need."""
    try:
        model_name, text, model_seconds = _transcribe(language)
        words = set(re.findall(r"[a-z]+", text.lower()))
        missing = [word for word in EXPECTED_WORDS if word not in words]
        if missing:
            raise RuntimeError(f"transcript {text!r} lacks {', '.join(missing)}")
        window_seconds = _open_main_window()
    except Exception as exc:  # the one line must say what failed, whatever it was
        print(f"self-test FAILED: {type(exc).__name__}: {exc}", flush=True)
        return 1
    frozen = "built app" if getattr(sys, "frozen", False) else "source"
    print(
        f"self-test OK ({frozen}): model {model_name} loaded and transcribed the clip in {model_seconds:.1f} "
        f"s ({text!r}); main window opened and closed in {window_seconds:.2f} s",
        flush=True,
    )
    return 0
