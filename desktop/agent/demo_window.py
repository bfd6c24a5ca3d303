"""The demo in the call screen: the demo world (desktop.agent.demo) driven through the real agent window.

The only part of the demo that needs Qt; ``agent-assist demo`` imports it when a display is there.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer

from audio.events import AudioStatusEvent, TranscriptEvent
from desktop.agent.agent_app import AgentApp
from desktop.agent.demo import AGENT, DEMO_PHONE, DemoWorld
from desktop.agent.desk import CallDesk, Problem, SaveOutcome
from desktop.app import ensure_app
from desktop.common.preferences import Preferences
from desktop.common.views import (
    CoachingView,
    CueView,
    CustomerView,
    SuggestionView,
    WhisperReceiptView,
    WhisperView,
    WrapUpDraft,
)
from sync.client import ConnectionState


def run_window(world: DemoWorld) -> int:
    app = ensure_app()
    prefs = Preferences.load()
    prefs.agent_name = AGENT
    agent = AgentApp(
        app,
        prefs=prefs,
        desk=CallDesk(
            _NullListener(),
            world.desk_config(),
            store_file=world.store_file,
            sync_state_file=world.root / "agent-client.sqlite3",
            recordings=world.root / "recordings",
        ),
    )
    agent.window.setWindowTitle(QCoreApplication.translate("AgentApp", "Agent Assist — demo"))
    agent.window.call_bar.phone.setText(DEMO_PHONE)
    world.start_supervisor()
    agent.show()

    QTimer.singleShot(1500, lambda: agent.start_call(DEMO_PHONE, replay=world.recording))
    code = app.exec()
    agent.shutdown()
    return int(code)


class _NullListener:
    """Placeholder until the app puts its bridge in place (before anything can happen): every CallListener
    method, doing nothing."""

    def on_call_started(self, call_id: str) -> None:
        return None

    def on_transcript(self, event: TranscriptEvent) -> None:
        return None

    def on_audio_status(self, event: AudioStatusEvent) -> None:
        return None

    def on_customer(self, customer: CustomerView) -> None:
        return None

    def on_suggestions(self, cards: list[SuggestionView]) -> None:
        return None

    def on_cue(self, cue: CueView) -> None:
        return None

    def on_coaching(self, coaching: CoachingView) -> None:
        return None

    def on_whisper(self, whisper: WhisperView) -> None:
        return None

    def on_whisper_receipt(self, receipt: WhisperReceiptView) -> None:
        return None

    def on_connection(self, state: ConnectionState) -> None:
        return None

    def on_call_finished(self, call_id: str, draft: WrapUpDraft) -> None:
        return None

    def on_saved(self, outcome: SaveOutcome) -> None:
        return None

    def on_problem(self, problem: Problem, detail: str) -> None:
        return None
