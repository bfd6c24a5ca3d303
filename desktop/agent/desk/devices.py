"""Which audio the call is heard from: a replayed recording, the devices chosen in the settings, or, when
none is chosen, the system's default input as the agent's microphone.

The choice is a plain function of the settings and the devices present (passed in), so it is tested without
a sound card; opening the devices is left to :class:`audio.devices.DeviceSource`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from audio.devices import DeviceError, DeviceInput, DeviceSource, InputDevice, list_input_devices
from audio.events import Channel
from audio.source import AudioSource, ChannelMap, FileSource
from desktop.agent.desk.config import DeskConfig


class NoDevice(RuntimeError):
    """No input device to hear the call from (the detail says why)."""


def pick_inputs(
    config: DeskConfig, available: Callable[[], list[InputDevice]] = list_input_devices
) -> list[DeviceInput]:
    """The devices to open for a call: one stereo device (agent left unless swapped), else the agent's and
    the customer's devices, else the default input as the agent's side. Raises :class:`NoDevice`."""
    if config.stereo_device:
        mapping = ChannelMap.stereo() if config.stereo_agent_left else ChannelMap.stereo(agent=1, customer=0)
        return [DeviceInput(config.stereo_device, mapping)]
    inputs: list[DeviceInput] = []
    if config.agent_device:
        inputs.append(
            DeviceInput(
                config.agent_device,
                ChannelMap.mono(Channel.AGENT),
                pulse_source=config.agent_pulse_source or None,
            )
        )
    if config.customer_device:
        inputs.append(
            DeviceInput(
                config.customer_device,
                ChannelMap.mono(Channel.CUSTOMER),
                pulse_source=config.customer_pulse_source or None,
            )
        )
    if inputs:
        return inputs
    try:
        present = available()
    except DeviceError as exc:
        raise NoDevice(str(exc)) from exc
    if not present:
        raise NoDevice("no input devices")
    default = next((d for d in present if d.is_default), present[0])
    return [DeviceInput(default.name, ChannelMap.mono(Channel.AGENT))]


def call_source(config: DeskConfig, replay: Path | None = None) -> AudioSource:
    """The call's audio: ``replay`` (a two-channel recording, agent left) played through the live pipeline,
    else the devices :func:`pick_inputs` chooses."""
    if replay is not None:
        return FileSource(replay, realtime=config.replay_realtime, channel_map=ChannelMap.stereo())
    return DeviceSource(pick_inputs(config))
