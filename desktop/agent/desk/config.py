"""What the agent chose for their desk: call language and model, who they are, the team server, the audio
devices, coaching and the after-call pass. Built from the preferences by the app, by hand by the demo."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class DeskConfig:
    language: str = "ja"  # ja | en | auto
    model: str | None = None  # None: the default for the language
    agent_name: str = ""
    server_url: str = ""
    server_token: str = ""
    record: bool = True
    replay_realtime: bool = True  # a replayed recording plays at call pace (demo); tests replay at full speed
    agent_device: str = ""
    agent_pulse_source: str = ""
    customer_device: str = ""
    customer_pulse_source: str = ""
    stereo_device: str = ""
    stereo_agent_left: bool = True
    coaching_off: tuple[str, ...] = ()  # coaching hints switched off (assist.coaching.HintKind values)
    after_call_model: str = ""  # the after-call quality pass's model (installed); empty = off
