"""Live capture from the agent's audio devices, with unplugging survived.

Devices are chosen and remembered by name: indexes change whenever a headset is plugged in. Each device is
opened at its native rate (on Linux, asking PortAudio/ALSA->PulseAudio for 16 kHz gave garbled audio) and
resampled to 16 kHz with soxr. The PortAudio callback only copies into a bounded queue; everything else runs
on the engine's capture thread inside :meth:`DeviceSource.read`.

When a device disappears mid-call (its stream stops or goes silent for ``stall_timeout``), the source reports
DEVICE_LOST for the channels it fed, keeps delivering the other device, and retries the lost one by name every
``retry_interval``; when it is back (or :meth:`DeviceSource.replace_device` picks another one) the gap is
filled with silence so both channels stay on one call timeline, and DEVICE_RESTORED is reported.

The ``sd`` module and the clock are injectable: unit tests drive a fake sounddevice.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from audio.events import AudioStatusEvent, AudioStatusKind, Channel
from audio.source import SAMPLE_RATE, AudioChunk, ChannelMap, Resampler

log = logging.getLogger(__name__)


class DeviceError(RuntimeError):
    """An audio device cannot be found or opened; the message names it."""


@dataclass(frozen=True, slots=True)
class InputDevice:
    """An input device as the user sees it in the settings."""

    name: str
    channels: int
    default_rate: float
    host_api: str
    is_default: bool
    index: int


class InputStream(Protocol):
    """What we use of a ``sounddevice.InputStream`` (sounddevice ships no type information)."""

    @property
    def active(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class _Defaults(Protocol):
    @property
    def device(self) -> object: ...


class SoundDevice(Protocol):
    """What we use of the ``sounddevice`` module (or the fake one the unit tests inject)."""

    @property
    def default(self) -> _Defaults: ...
    def query_devices(self) -> Iterable[Mapping[str, int | float | str]]: ...
    def query_hostapis(self) -> Iterable[Mapping[str, object]]: ...
    def InputStream(
        self,
        *,
        device: int,
        channels: int,
        samplerate: int,
        dtype: str,
        blocksize: int,
        callback: Callable[[npt.NDArray[np.float32], int, object, object], None],
    ) -> InputStream: ...


def _sounddevice() -> SoundDevice:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio library missing
        raise DeviceError(f"audio capture is unavailable: {exc}") from exc
    module: SoundDevice = sounddevice
    return module


def list_input_devices(sd: SoundDevice | None = None) -> list[InputDevice]:
    """Every device that can record, with its name (what settings store) and native rate."""
    sd = sd or _sounddevice()
    try:
        devices = list(sd.query_devices())
        apis = list(sd.query_hostapis())
        default_in = (
            sd.default.device[0] if isinstance(sd.default.device, list | tuple) else sd.default.device
        )
    except Exception as exc:
        raise DeviceError(f"cannot list audio devices: {exc}") from exc
    out = []
    for index, dev in enumerate(devices):
        if int(dev.get("max_input_channels", 0)) <= 0:
            continue
        hostapi = int(dev.get("hostapi", -1))
        api = apis[hostapi]["name"] if 0 <= hostapi < len(apis) else ""
        out.append(
            InputDevice(
                name=str(dev["name"]),
                channels=int(dev["max_input_channels"]),
                default_rate=float(dev.get("default_samplerate") or 48000.0),
                host_api=str(api),
                is_default=index == default_in,
                index=index,
            )
        )
    return out


def find_input_device(name: str, sd: SoundDevice | None = None) -> InputDevice | None:
    """The device called ``name``: exact name first, then a unique case-insensitive partial match."""
    devices = list_input_devices(sd)
    for dev in devices:
        if dev.name == name:
            return dev
    needle = name.casefold()
    matches = [dev for dev in devices if needle in dev.name.casefold()]
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True, slots=True)
class DeviceInput:
    """One device to open and which call channels it feeds.

    Agent mic + customer device: ``DeviceInput("Headset", ChannelMap.mono(Channel.AGENT))`` and
    ``DeviceInput("Loopback", ChannelMap.mono(Channel.CUSTOMER))``. One stereo input whose left is the agent:
    ``DeviceInput("USB interface", ChannelMap.stereo())``.
    """

    device: str
    channel_map: ChannelMap
    rate: int | None = None  # None: the device's native rate
    pulse_source: str | None = None
    """Linux: the PulseAudio/PipeWire source (e.g. ``softphone.monitor``) the ``pulse`` device records."""


_ENV_LOCK = threading.Lock()


@contextmanager
def _pulse_source(source: str | None) -> Iterator[None]:
    """PulseAudio's ALSA plugin picks the source from PULSE_SOURCE when a stream connects."""
    if source is None:
        yield
        return
    with _ENV_LOCK:
        saved = os.environ.get("PULSE_SOURCE")
        os.environ["PULSE_SOURCE"] = source
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop("PULSE_SOURCE", None)
            else:
                os.environ["PULSE_SOURCE"] = saved


class _OpenInput:
    """State of one configured input: its stream while open, its resamplers, when it was lost."""

    def __init__(self, spec: DeviceInput) -> None:
        self.spec = spec
        self.stream: InputStream | None = None
        self.device: InputDevice | None = None
        self.rate = 0
        self.resamplers: dict[Channel, Resampler] = {}
        self.last_data = 0.0
        self.receiving = False  # some devices take over a second after opening to deliver anything
        self.lost = False
        self.next_retry = 0.0


class DeviceSource:
    """Capture the call from one or two input devices (see :class:`DeviceInput`)."""

    def __init__(
        self,
        inputs: Sequence[DeviceInput],
        *,
        sd: SoundDevice | None = None,
        clock: Callable[[], float] = time.monotonic,
        queue_seconds: float = 10.0,
        block_seconds: float = 0.05,
        stall_timeout: float = 1.5,
        retry_interval: float = 1.0,
    ) -> None:
        if not inputs:
            raise ValueError("DeviceSource needs at least one input device")
        channels = [c for spec in inputs for c in spec.channel_map.channels]
        if len(set(channels)) != len(channels):
            raise ValueError("each call channel can come from one device only")
        self._sd = sd or _sounddevice()
        self._clock = clock
        self._inputs = [_OpenInput(spec) for spec in inputs]
        self._queue: queue.Queue[tuple[int, npt.NDArray[np.float32]]] = queue.Queue(
            maxsize=max(4, int(queue_seconds / block_seconds))
        )
        self._block_seconds = block_seconds
        self._stall_timeout = stall_timeout
        self._retry_interval = retry_interval
        self._lock = threading.Lock()
        self._pending: list[AudioChunk | AudioStatusEvent] = []
        self._delivered: dict[Channel, int] = {c: 0 for c in channels}
        self._started_at = 0.0
        self._stopped = False
        self._ended = False
        self.overflows = 0

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self._delivered)

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def devices(self) -> dict[Channel, str]:
        """The device name feeding each channel now."""
        return {c: slot.spec.device for slot in self._inputs for c in slot.spec.channel_map.channels}

    def start(self) -> None:
        """Open every device; raises DeviceError when none can be opened (one is enough to go on)."""
        self._started_at = self._clock()
        errors = []
        for index, slot in enumerate(self._inputs):
            try:
                self._open(index, slot)
            except DeviceError as exc:
                errors.append(str(exc))
                self._mark_lost(slot, str(exc))
        if len(errors) == len(self._inputs):
            raise DeviceError("; ".join(errors))

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for slot in self._inputs:
                self._close(slot)
            self._ended = True

    def replace_device(self, channel: Channel, device: str) -> None:
        """Feed ``channel`` (and the channels sharing its input) from another device, by name, mid-call."""
        with self._lock:
            for index, slot in enumerate(self._inputs):
                if channel in slot.spec.channel_map.channels:
                    self._close(slot)
                    slot.spec = DeviceInput(
                        device, slot.spec.channel_map, slot.spec.rate, slot.spec.pulse_source
                    )
                    was_lost = slot.lost
                    self._mark_lost(slot, "switching device", report=not was_lost)
                    slot.next_retry = 0.0
                    self._retry(index, slot)
                    return
        raise ValueError(f"no input feeds the {channel.value} channel")

    # --- PortAudio thread -------------------------------------------------------------------------------

    def _callback_for(self, index: int) -> Callable[[npt.NDArray[np.float32], int, object, object], None]:
        def callback(indata: npt.NDArray[np.float32], frames: int, time_info: object, status: object) -> None:
            try:
                self._queue.put_nowait((index, indata.copy()))
            except queue.Full:
                self.overflows += 1

        return callback

    # --- capture thread ---------------------------------------------------------------------------------

    def read(self, timeout: float) -> list[AudioChunk | AudioStatusEvent]:
        if self._ended or self._stopped:
            self._ended = True
            return []
        out: list[AudioChunk | AudioStatusEvent] = []
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            first = None
        blocks = [first] if first is not None else []
        while True:
            try:
                blocks.append(self._queue.get_nowait())
            except queue.Empty:
                break
        now = self._clock()
        with self._lock:
            if self._stopped:
                return []
            out.extend(self._pending)
            self._pending.clear()
            for index, data in blocks:
                slot = self._inputs[index]
                if slot.lost:
                    continue  # late blocks from a stream already given up
                slot.last_data = now
                slot.receiving = True
                for channel, mono in slot.spec.channel_map.split(np.asarray(data, dtype=np.float32)):
                    resampled = slot.resamplers[channel](mono)
                    if len(resampled):
                        self._delivered[channel] += len(resampled)
                        out.append(AudioChunk(channel, resampled))
            for index, slot in enumerate(self._inputs):
                if slot.lost:
                    self._retry(index, slot)
                elif not self._healthy(slot, now):
                    self._close(slot)
                    self._mark_lost(slot, f"audio device {slot.spec.device!r} stopped delivering audio")
            out.extend(self._pending)
            self._pending.clear()
        return out

    def _healthy(self, slot: _OpenInput, now: float) -> bool:
        stream = slot.stream
        if stream is None:
            return False
        try:
            active = bool(stream.active)
        except Exception:
            active = False
        timeout = self._stall_timeout if slot.receiving else max(self._stall_timeout, 5.0)
        return active and now - slot.last_data < timeout

    def _open(self, index: int, slot: _OpenInput) -> None:
        try:
            device = find_input_device(slot.spec.device, self._sd)
        except DeviceError:
            device = None
        if device is None:
            raise DeviceError(f"audio input device {slot.spec.device!r} not found")
        needed = max((i for _, i in slot.spec.channel_map.routes if i is not None), default=0) + 1
        if device.channels < needed:
            raise DeviceError(
                f"audio device {device.name!r} has {device.channels} input channel(s), the mapping "
                f"needs {needed}"
            )
        channels = (
            max(needed, min(device.channels, 2))
            if any(i is None for _, i in slot.spec.channel_map.routes)
            else needed
        )
        rate = int(slot.spec.rate or device.default_rate)
        try:
            with _pulse_source(slot.spec.pulse_source):
                stream = self._sd.InputStream(
                    device=device.index,
                    channels=channels,
                    samplerate=rate,
                    dtype="float32",
                    blocksize=int(rate * self._block_seconds),
                    callback=self._callback_for(index),
                )
                stream.start()
        except Exception as exc:
            raise DeviceError(f"cannot open audio device {device.name!r} at {rate} Hz: {exc}") from exc
        slot.stream, slot.device, slot.rate = stream, device, rate
        slot.resamplers = {c: Resampler(rate) for c in slot.spec.channel_map.channels}
        slot.last_data = self._clock()
        slot.receiving = False
        log.info(
            "capturing %s from %r at %d Hz",
            "/".join(c.value for c in slot.spec.channel_map.channels),
            device.name,
            rate,
        )

    def _close(self, slot: _OpenInput) -> None:
        stream, slot.stream = slot.stream, None
        if stream is None:
            return
        for action in ("stop", "close"):
            try:
                getattr(stream, action)()
            except Exception as exc:  # an unplugged device may refuse even to close
                log.debug("%s of %r failed: %s", action, slot.spec.device, exc)

    def _mark_lost(self, slot: _OpenInput, reason: str, report: bool = True) -> None:
        slot.lost = True
        slot.next_retry = self._clock() + self._retry_interval
        if report:
            for channel in slot.spec.channel_map.channels:
                self._pending.append(
                    AudioStatusEvent(
                        AudioStatusKind.DEVICE_LOST, channel, reason, detail={"device": slot.spec.device}
                    )
                )

    def _retry(self, index: int, slot: _OpenInput) -> None:
        if self._stopped or self._clock() < slot.next_retry:
            return
        slot.next_retry = self._clock() + self._retry_interval
        self._refresh_device_list()
        try:
            self._open(index, slot)
        except DeviceError as exc:
            log.debug("%r still unavailable: %s", slot.spec.device, exc)
            return
        slot.lost = False
        # silence for the time the device was away keeps both channels (and recordings) on one timeline
        target = int((self._clock() - self._started_at) * SAMPLE_RATE)
        for channel in slot.spec.channel_map.channels:
            gap = target - self._delivered[channel]
            if gap > 0:
                self._delivered[channel] += gap
                self._pending.append(AudioChunk(channel, np.zeros(gap, dtype=np.float32)))
            self._pending.append(
                AudioStatusEvent(
                    AudioStatusKind.DEVICE_RESTORED,
                    channel,
                    f"audio device {slot.spec.device!r} is back",
                    detail={"device": slot.spec.device},
                )
            )

    def _refresh_device_list(self) -> None:
        """PortAudio only sees newly plugged devices after re-initialising, which would kill open streams."""
        if any(slot.stream is not None for slot in self._inputs):
            return
        terminate, initialize = getattr(self._sd, "_terminate", None), getattr(self._sd, "_initialize", None)
        if terminate is None or initialize is None:
            return
        try:
            terminate()
            initialize()
        except Exception as exc:
            log.debug("re-initialising PortAudio failed: %s", exc)
