"""The agent's live call without Qt: the application layer between the call screen and the core.

:class:`CallDesk` owns the local store, the call session, the live transcription and the team-server client,
and applies the domain rules (who is calling, the cards, the cues, the wrap-up saved with its notes, what the
team is told). It reports to a :class:`CallListener`; the call screen's one bridge
(:mod:`desktop.agent.bridge`) turns that into Qt signals, the terminal demo prints it.

Nothing here imports Qt (tests/desk/test_desk_layer.py fails if anything does), so it is unit-tested and
run headless without a display. It sits in desktop/ because it produces the views the widgets draw
(:mod:`desktop.common.views`) and drives sync, assist and audio: desktop -> sync -> assist -> audio.
"""

from desktop.agent.desk.call_desk import CallDesk, CallListener, Problem, SaveOutcome
from desktop.agent.desk.config import DeskConfig

__all__ = ["CallDesk", "CallListener", "DeskConfig", "Problem", "SaveOutcome"]
