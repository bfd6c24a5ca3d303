"""The one place that knows how each operating system exposes the customer's side of a call.

The agent's voice comes from a microphone everywhere. The customer's voice plays out of the softphone, and
capturing it needs something different on each platform (see docs/audio.md):

- Windows: a WASAPI loopback device ("... [Loopback]" in PortAudio builds that list them), "Stereo Mix", or a
  virtual cable ("CABLE Output");
- macOS: a virtual device such as BlackHole or Loopback set as the softphone's output (plus a Multi-Output
  Device so the agent still hears the customer);
- Linux: the monitor of the sink the softphone plays to; PortAudio reaches it through the ``pulse`` device
  with ``PULSE_SOURCE`` naming the monitor (works with PulseAudio and PipeWire's pulse server).

:func:`customer_source_candidates` ranks the input devices that look like such a source so the settings can
suggest one; :func:`pulse_monitor_sources` lists the Linux monitors by name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from audio.devices import InputDevice

_HINTS = {
    "win32": ("loopback", "stereo mix", "cable output", "what u hear", "wave out", "voicemeeter"),
    "darwin": ("blackhole", "loopback", "soundflower", "background music", "zoomaudiodevice", "teams audio"),
    "linux": ("monitor", "pulse", "pipewire", "loopback"),
}


def _platform_key(platform: str) -> str:
    if platform.startswith("win"):
        return "win32"
    if platform == "darwin":
        return "darwin"
    return "linux"


def customer_source_candidates(devices: list[InputDevice], platform: str | None = None) -> list[InputDevice]:
    """Input devices likely to carry the customer's audio on this platform, best first."""
    hints = _HINTS[_platform_key(platform or sys.platform)]

    def rank(dev: InputDevice) -> int:
        name = dev.name.casefold()
        for position, hint in enumerate(hints):
            if hint in name:
                return position
        return len(hints)

    return sorted((dev for dev in devices if rank(dev) < len(hints)), key=rank)


def pulse_monitor_sources(env: dict[str, str] | None = None) -> list[str]:
    """Names of the PulseAudio/PipeWire monitor sources (``<sink>.monitor``); empty when there is no
    server."""
    pactl = shutil.which("pactl")
    if pactl is None:
        return []
    try:
        result = subprocess.run(
            [pactl, "list", "short", "sources"],
            capture_output=True,
            text=True,
            timeout=5,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    names = [line.split("\t")[1] for line in result.stdout.splitlines() if line.count("\t") >= 1]
    return [name for name in names if name.endswith(".monitor")]
