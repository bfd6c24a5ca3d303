"""Capture from devices chosen by name, at their native rate, surviving an unplug (injected sounddevice)."""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio.devices import DeviceError, DeviceInput, DeviceSource, find_input_device, list_input_devices
from audio.events import AudioStatusEvent, AudioStatusKind, Channel, EventKind, TranscriptEvent
from audio.live import LiveTranscription
from audio.platform import customer_source_candidates
from audio.source import SAMPLE_RATE, AudioChunk, ChannelMap
from tests.audio.fake_sounddevice import FakeClock, FakeDevice, FakeSoundDevice, clip, tone


def two_devices() -> tuple[FakeSoundDevice, FakeClock]:
    clock = FakeClock()
    sd = FakeSoundDevice(
        [
            FakeDevice("Headset Microphone (Jabra Evolve2)", 1, 48000, tone([300.0])),
            FakeDevice("Softphone Loopback", 2, 44100, tone([1000.0, 1000.0])),
            FakeDevice("USB Audio Interface", 2, 48000, tone([300.0, 1000.0])),
        ],
        clock,
    )
    return sd, clock


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * SAMPLE_RATE / len(samples))


def drain(source: DeviceSource) -> tuple[dict[Channel, np.ndarray], list[AudioStatusEvent]]:
    audio: dict[Channel, list[np.ndarray]] = {c: [] for c in source.channels}
    statuses: list[AudioStatusEvent] = []
    for item in source.read(0):
        if isinstance(item, AudioChunk):
            audio[item.channel].append(item.samples)
        else:
            statuses.append(item)
    return {c: np.concatenate(v) if v else np.zeros(0, np.float32) for c, v in audio.items()}, statuses


def headset_and_loopback(sd: FakeSoundDevice, clock: FakeClock) -> DeviceSource:
    return DeviceSource(
        [
            DeviceInput("Headset Microphone (Jabra Evolve2)", ChannelMap.mono(Channel.AGENT)),
            DeviceInput("Softphone Loopback", ChannelMap.mono(Channel.CUSTOMER)),
        ],
        sd=sd,
        clock=clock,
    )


def test_input_devices_are_listed_by_name_without_outputs() -> None:
    sd, _ = two_devices()
    names = [d.name for d in list_input_devices(sd)]
    assert names == ["Headset Microphone (Jabra Evolve2)", "Softphone Loopback", "USB Audio Interface"]
    assert find_input_device("softphone loop", sd) is not None
    assert find_input_device("Speakers", sd) is None
    assert [d.name for d in customer_source_candidates(list_input_devices(sd), "win32")] == [
        "Softphone Loopback"
    ]


def test_two_devices_are_captured_at_native_rate_and_resampled_to_16k() -> None:
    sd, clock = two_devices()
    source = headset_and_loopback(sd, clock)
    source.start()
    assert sorted(s.samplerate for s in sd.streams) == [44100, 48000]
    sd.pump(2.0)
    audio, statuses = drain(source)
    assert statuses == []
    for channel, freq in ((Channel.AGENT, 300.0), (Channel.CUSTOMER, 1000.0)):
        assert abs(len(audio[channel]) - 2 * SAMPLE_RATE) < 0.05 * SAMPLE_RATE
        assert abs(dominant_frequency(audio[channel][4000:]) - freq) < 10
        assert 0.25 < np.abs(audio[channel][4000:]).max() < 0.35
    source.stop()


def test_one_stereo_input_is_split_left_and_right() -> None:
    sd, clock = two_devices()
    source = DeviceSource(
        [DeviceInput("USB Audio Interface", ChannelMap.parse("agent=right,customer=left"))],
        sd=sd,
        clock=clock,
    )
    source.start()
    sd.pump(1.0)
    audio, _ = drain(source)
    assert abs(dominant_frequency(audio[Channel.AGENT]) - 1000.0) < 10
    assert abs(dominant_frequency(audio[Channel.CUSTOMER]) - 300.0) < 10


def test_a_missing_device_is_named_in_the_error() -> None:
    sd, clock = two_devices()
    source = DeviceSource([DeviceInput("Blue Yeti", ChannelMap.mono(Channel.AGENT))], sd=sd, clock=clock)
    with pytest.raises(DeviceError, match="'Blue Yeti' not found"):
        source.start()


def test_unplugging_one_device_reports_it_and_the_other_channel_continues_until_it_is_back() -> None:
    sd, clock = two_devices()
    source = headset_and_loopback(sd, clock)
    source.start()
    sd.pump(1.0)
    drain(source)

    sd.unplug("Headset Microphone (Jabra Evolve2)")
    sd.pump(2.0)
    audio, statuses = drain(source)
    assert [(s.kind, s.channel) for s in statuses] == [(AudioStatusKind.DEVICE_LOST, Channel.AGENT)]
    assert "Jabra" in statuses[0].message
    assert len(audio[Channel.CUSTOMER]) > 1.9 * SAMPLE_RATE

    sd.pump(2.0)  # still away: retried quietly, no repeated events
    audio, statuses = drain(source)
    assert statuses == [] and len(audio[Channel.AGENT]) == 0

    sd.plug("Headset Microphone (Jabra Evolve2)")
    sd.pump(1.5)
    _audio_parts, statuses = drain(source)
    assert (AudioStatusKind.DEVICE_RESTORED, Channel.AGENT) in [(s.kind, s.channel) for s in statuses]
    sd.pump(1.0)
    later, _ = drain(source)
    assert abs(dominant_frequency(later[Channel.AGENT]) - 300.0) < 10
    source.stop()


def test_both_channels_stay_on_one_timeline_across_an_unplug() -> None:
    sd, clock = two_devices()
    source = headset_and_loopback(sd, clock)
    source.start()
    total = {Channel.AGENT: 0, Channel.CUSTOMER: 0}

    def run(seconds: float) -> None:
        for _ in range(int(seconds / 0.5)):
            sd.pump(0.5)
            audio, _ = drain(source)
            for channel, samples in audio.items():
                total[channel] += len(samples)

    run(2.0)
    sd.unplug("Headset Microphone (Jabra Evolve2)")
    run(3.0)
    sd.plug("Headset Microphone (Jabra Evolve2)")
    run(3.0)
    assert abs(total[Channel.AGENT] - total[Channel.CUSTOMER]) < 0.2 * SAMPLE_RATE


def test_another_device_can_be_chosen_mid_call_by_name() -> None:
    sd, clock = two_devices()
    source = headset_and_loopback(sd, clock)
    source.start()
    sd.pump(0.5)
    drain(source)
    sd.unplug("Softphone Loopback")
    sd.pump(2.0)
    _, statuses = drain(source)
    assert [s.kind for s in statuses] == [AudioStatusKind.DEVICE_LOST]
    source.replace_device(Channel.CUSTOMER, "USB Audio Interface")
    sd.pump(1.0)
    audio, statuses = drain(source)
    assert (AudioStatusKind.DEVICE_RESTORED, Channel.CUSTOMER) in [(s.kind, s.channel) for s in statuses]
    assert source.devices[Channel.CUSTOMER] == "USB Audio Interface"
    assert abs(dominant_frequency(audio[Channel.CUSTOMER][-SAMPLE_RATE // 2 :]) - 300.0) < 10


def test_the_callback_only_queues_and_a_full_queue_drops_instead_of_blocking() -> None:
    sd, clock = two_devices()
    source = DeviceSource(
        [DeviceInput("Softphone Loopback", ChannelMap.mono(Channel.CUSTOMER))],
        sd=sd,
        clock=clock,
        queue_seconds=0.5,
    )
    source.start()
    began = time.monotonic()
    sd.pump(3.0)  # nobody reads: the bounded queue fills up
    assert time.monotonic() - began < 2.0
    assert source.overflows > 0
    audio, _ = drain(source)
    assert 0 < len(audio[Channel.CUSTOMER]) <= 0.6 * SAMPLE_RATE


@pytest.mark.slow
def test_a_live_call_survives_an_unplug_keeps_the_recording_and_transcribes_the_other_side(
    clips: dict[str, Path], tiny_en: Any, tmp_path: Path
) -> None:
    import soundfile as sf
    import soxr

    speech, rate = sf.read(str(clips["customer"]), dtype="float32")
    speech48 = soxr.resample(speech, rate, 48000).astype(np.float32)
    clock = FakeClock()
    sd = FakeSoundDevice(
        [
            FakeDevice("Headset Microphone", 1, 48000, tone([200.0])),
            FakeDevice(
                "Softphone Loopback",
                1,
                48000,
                clip(np.concatenate([np.zeros(48000, np.float32), speech48]), 48000),
            ),
        ],
        clock,
    )
    source = DeviceSource(
        [
            DeviceInput("Headset Microphone", ChannelMap.mono(Channel.AGENT)),
            DeviceInput("Softphone Loopback", ChannelMap.mono(Channel.CUSTOMER)),
        ],
        sd=sd,
        clock=clock,
    )
    events: list[TranscriptEvent] = []
    statuses: list[AudioStatusEvent] = []
    live = LiveTranscription(
        source,
        call_id="unplug",
        language="en",
        model=tiny_en,
        record_dir=tmp_path,
        on_event=events.append,
        on_status=statuses.append,
        clock=clock,
    )
    live.start()
    sd.pump(1.0)
    sd.unplug("Headset Microphone")
    lost = threading.Event()
    for _ in range(40):  # ~8 s of call time, fed a little at a time like a real device
        sd.pump(0.2)
        time.sleep(0.02)
        if any(s.kind is AudioStatusKind.DEVICE_LOST for s in statuses):
            lost.set()
    deadline = time.monotonic() + 60
    while not any(e.kind is EventKind.FINAL and e.text for e in events) and time.monotonic() < deadline:
        sd.pump(0.2)
        time.sleep(0.05)
    live.stop()
    assert live.wait(30)
    assert lost.is_set()
    lost_events = [s for s in statuses if s.kind is AudioStatusKind.DEVICE_LOST]
    assert [s.channel for s in lost_events] == [Channel.AGENT]
    text = " ".join(e.text for e in events if e.kind is EventKind.FINAL and e.channel is Channel.CUSTOMER)
    assert "customer support" in text.lower()
    for channel in (Channel.AGENT, Channel.CUSTOMER):
        with wave.open(str(live.recordings[channel])) as w:
            assert w.getnframes() > 0


def test_customer_source_candidates_follow_each_platforms_conventions() -> None:
    from audio.devices import InputDevice

    def dev(name: str) -> InputDevice:
        return InputDevice(name, 2, 48000.0, "api", False, 0)

    devices = [
        dev("MacBook Pro Microphone"),
        dev("BlackHole 2ch"),
        dev("Stereo Mix (Realtek)"),
        dev("CABLE Output (VB-Audio)"),
        dev("pulse"),
        dev("Jabra [Loopback]"),
    ]
    assert [d.name for d in customer_source_candidates(devices, "darwin")] == [
        "BlackHole 2ch",
        "Jabra [Loopback]",
    ]
    assert [d.name for d in customer_source_candidates(devices, "win32")][:3] == [
        "Jabra [Loopback]",
        "Stereo Mix (Realtek)",
        "CABLE Output (VB-Audio)",
    ]
    assert [d.name for d in customer_source_candidates(devices, "linux")] == ["pulse", "Jabra [Loopback]"]
