"""A call from real audio devices: speech played into the PulseAudio null sink `customer` is captured from its
monitor through sounddevice (the 'pulse' device, chosen by name in the agent's settings) and shows up on the
customer's side of the call screen."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from audio.events import AudioStatusKind, Channel
from desktop.agent.agent_app import AgentApp
from desktop.agent.desk import CallDesk, DeskConfig
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from tests.conftest import SELFTEST_WAV
from tests.listeners import QuietListener

pytestmark = [pytest.mark.audio_device, pytest.mark.slow]


def test_speech_on_the_customer_device_appears_on_the_customer_side(
    qtbot: Any, tmp_path: Path, pulseaudio: dict[str, str]
) -> None:
    import sounddevice as sd

    sd._terminate()  # PortAudio must rescan now that the fixture's PulseAudio is running
    sd._initialize()
    config = DeskConfig(
        language="en",
        agent_device="pulse",
        agent_pulse_source="agent.monitor",
        customer_device="pulse",
        customer_pulse_source="customer.monitor",
    )
    desk = CallDesk(
        QuietListener(), config, store_file=tmp_path / "store.sqlite3", recordings=tmp_path / "rec"
    )
    agent = AgentApp(ensure_app(), prefs=Preferences(ui_language="en", softphone_port=0), desk=desk)
    window = agent.window
    qtbot.addWidget(window)
    agent.show()
    try:
        levels: list[Channel] = []
        agent.bridge.audio_status.connect(
            lambda e: levels.append(e.channel) if e.kind is AudioStatusKind.LEVEL else None
        )
        agent.start_call("")
        qtbot.waitUntil(lambda: "New caller" in window.context_panel.text(), timeout=10000)
        # Play only once the customer's capture stream delivers audio, or the first words are not heard.
        qtbot.waitUntil(lambda: levels.count(Channel.CUSTOMER) >= 5, timeout=30000)
        env = {**os.environ, **pulseaudio}
        subprocess.run(["paplay", "--device=customer", str(SELFTEST_WAV)], env=env, check=True, timeout=30)

        def heard() -> str:
            return " ".join(
                x.text.lower()
                for x in window.transcript.lines()
                if x.final and x.channel is Channel.CUSTOMER and not x.right_side
            )

        qtbot.waitUntil(lambda: "customer support" in heard(), timeout=60000)
        assert "help" in heard()
        assert not [x for x in window.transcript.lines() if x.channel is Channel.AGENT]
        window.act_call.trigger()  # Ctrl+Return ends the call
        qtbot.waitUntil(lambda: window.left_tabs.currentWidget() is window.wrap_up, timeout=30000)
    finally:
        agent.shutdown()
    assert (tmp_path / "rec").is_dir() and any((tmp_path / "rec").rglob("customer.wav"))
