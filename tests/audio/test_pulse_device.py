"""A real audio device: speech played into a PulseAudio null sink comes out of the sink's monitor, through
sounddevice and the live engine, as text on the customer channel."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from audio.devices import DeviceInput, DeviceSource, list_input_devices
from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription
from audio.platform import pulse_monitor_sources
from audio.source import ChannelMap

pytestmark = [pytest.mark.audio_device, pytest.mark.slow]


def test_speech_played_to_the_customer_sink_is_transcribed_on_the_customer_channel(
    pulseaudio: dict[str, str], clips: dict[str, Path], tiny_en: Any, tmp_path: Path
) -> None:
    import sounddevice as sd

    sd._terminate()  # PortAudio must rescan now that the fixture's PulseAudio is running
    sd._initialize()
    assert "pulse" in [d.name for d in list_input_devices()]
    env = {**os.environ, **pulseaudio}
    assert {"customer.monitor", "agent.monitor"} <= set(pulse_monitor_sources(env))

    source = DeviceSource(
        [
            DeviceInput("pulse", ChannelMap.mono(Channel.AGENT), pulse_source="agent.monitor"),
            DeviceInput("pulse", ChannelMap.mono(Channel.CUSTOMER), pulse_source="customer.monitor"),
        ]
    )
    events: list[TranscriptEvent] = []
    statuses: list[AudioStatusEvent] = []
    live = LiveTranscription(
        source,
        call_id="pulse",
        language="en",
        model=tiny_en,
        record_dir=tmp_path,
        on_event=events.append,
        on_status=statuses.append,
    )
    live.start()
    try:
        deadline = time.monotonic() + 10
        while not any(s.kind is AudioStatusKind.LEVEL for s in statuses) and time.monotonic() < deadline:
            time.sleep(0.05)
        subprocess.run(
            ["paplay", "--device=customer", str(clips["customer"])], env=env, check=True, timeout=30
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            e.kind is EventKind.FINAL and e.text and e.channel is Channel.CUSTOMER for e in events
        ):
            time.sleep(0.05)
    finally:
        live.stop()
        assert live.wait(30)
    customer = " ".join(e.text for e in events if e.kind is EventKind.FINAL and e.channel is Channel.CUSTOMER)
    assert "customer support" in customer.lower() and "help" in customer.lower()
    assert not [e for e in events if e.channel is Channel.AGENT and e.text]
    assert not [s for s in statuses if s.kind is AudioStatusKind.DEVICE_LOST]
