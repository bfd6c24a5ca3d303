"""A Japanese call on the desk biases the recogniser towards its caller and the support words: the desk's
prompt and hotwords reach faster-whisper's second pass (real desk, real store, real base model on a real
Japanese clip from ../shared/eval; the recogniser is only watched, it hears as it always does)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from assist.domain import Customer
from assist.domain_words import biasing_hotwords
from audio.events import Channel
from audio.source import ChannelMap, FileSource
from audio.transcriber import Recognition, WhisperRecognizer
from desktop.agent.demo import DEMO_PHONE
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.common.views import WrapUpDraft
from resources import ROOT as RESOURCES
from tests.conftest import ROOT
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

CLIP = ROOT.parent / "shared" / "eval" / "audio" / "reazonspeech_k2_test_wavs" / "test_ja_2.wav"


class _Screen:
    def __init__(self) -> None:
        self.finished: list[str] = []

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        self.finished.append(call_id)

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def test_a_japanese_call_s_second_pass_is_prompted_with_the_caller_and_the_support_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not CLIP.is_file():
        pytest.skip(f"no evaluation clip at {CLIP}")
    heard: list[tuple[str | None, str | None]] = []
    lock = threading.Lock()
    real_turn = WhisperRecognizer.recognize_turn

    def watched_turn(
        self: WhisperRecognizer, audio: Any, *, language: str | None, prompt: str | None, hotwords: str | None
    ) -> Recognition:
        with lock:
            heard.append((prompt, hotwords))
        return real_turn(self, audio, language=language, prompt=prompt, hotwords=hotwords)

    monkeypatch.setattr(WhisperRecognizer, "recognize_turn", watched_turn)
    screen = _Screen()
    desk = CallDesk(
        screen,
        DeskConfig(language="ja", replay_realtime=False),
        store_file=tmp_path / "agent-assist.sqlite3",
        recordings=tmp_path / "recordings",
    )
    sato = next(
        Customer.from_dict(json.loads(line))
        for line in (RESOURCES / "demo" / "customers.jsonl").read_text("utf-8").splitlines()
        if DEMO_PHONE in line
    )
    try:
        desk.start(preload_model=False)
        desk.run_on_worker(lambda store: store.upsert_customers([sato])).result(30)
        source = FileSource(CLIP, realtime=False, channel_map=ChannelMap.mono(Channel.CUSTOMER))
        call_id = desk.start_call(DEMO_PHONE, source=source)
        wait_until(lambda: call_id in screen.finished, 120, "the call's end")
    finally:
        desk.shutdown()
    with lock:
        prompts = [p for p, _ in heard if p]
        assert heard and prompts, "the second pass never heard the call with a prompt"
        prompt, hotwords = next((p, h) for p, h in heard if p)
    # the caller's name and a support call's opening, then the support list; the rest of the list as hotwords
    assert prompt.startswith("お電話ありがとうございます。") and "佐藤" in prompt and "料金" in prompt
    assert hotwords == biasing_hotwords("ja", prompt) and hotwords and "ルーター" in hotwords
    assert [p for p, _ in heard if not p]  # ... beside the plain hearing, which the prompt may not override
