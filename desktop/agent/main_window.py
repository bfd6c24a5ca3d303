"""The agent's call screen: one window that helps during a call without asking for clicks.

Layout (:mod:`desktop.agent.screen_layout`): the call bar across the top, with the raise-hand strip under it;
on the left the customer's context, quick notes and the wrap-up (tabs); in the middle the cue banner over the
live transcript; on the right the suggestion cards over the whisper inbox. The window only draws: it turns
the agent's actions into signals and shows what the :class:`~desktop.agent.bridge.LiveCallBridge` delivers.
Running a call is :mod:`desktop.agent.desk`'s job, so the window builds without a server, a device or a
loaded model.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QToolBar,
    QWidget,
)

from audio.events import AudioStatusEvent, AudioStatusKind, TranscriptEvent
from desktop.agent import screen_keys, screen_layout
from desktop.agent.call_bar import CallBar
from desktop.agent.coach_panel import CoachPanel
from desktop.agent.cue_banner import CueBanner
from desktop.agent.notes_panel import QuickNotes
from desktop.agent.raise_hand import HandRaiser
from desktop.agent.transcript_view import LiveTranscript
from desktop.agent.whisper_inbox import WhisperInbox
from desktop.agent.wrap_up import WrapUpPanel
from desktop.common.context_panel import CustomerContextPanel
from desktop.common.preferences import app_settings
from desktop.common.suggestion_cards import SuggestionPanel
from desktop.common.views import (
    CoachingView,
    CueView,
    CustomerView,
    SuggestionView,
    WhisperView,
    WrapUpDraft,
)
from sync.client import ConnectionState


class CallScreen(QMainWindow):
    """Signals:
    start_call(str): the agent starts a call with this caller number (may be empty).
    end_call(): the agent ends the call.
    replay_file(): the agent wants to replay a recording instead of live devices.
    open_settings(): the agent opens the settings.
    ui_language_chosen(str): 'ja' or 'en'.
    theme_chosen(str): 'light' or 'dark'.
    font_step(int): +1 / -1 / 0 (reset).
    open_review(): the agent opens the history and review window.
    open_supervisor(): a supervisor or admin opens the supervisor console (the action shows only for them).
    raise_hand(str): the agent asks the team's supervisors for help on this call (the masked reason, may
        be "").
    lower_hand(): the agent lowers the hand.
    """

    start_call = Signal(str)
    end_call = Signal()
    replay_file = Signal()
    open_settings = Signal()
    ui_language_chosen = Signal(str)
    theme_chosen = Signal(str)
    font_step = Signal(int)
    open_review = Signal()
    open_supervisor = Signal()
    raise_hand = Signal(str)
    lower_hand = Signal()

    # Room the wrap-up form gets when the call ends (the left column is narrow during the call).
    WRAP_UP_WIDTH = 520

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callScreen")
        self.resize(1280, 800)
        self.call_bar = CallBar(self)
        self.hand = HandRaiser(self)
        self.transcript = LiveTranscript(self)
        self.cue_banner = CueBanner(self)
        self.coach = CoachPanel(self)
        self.context_panel = CustomerContextPanel(self)
        self.notes = QuickNotes(self.call_bar.elapsed, self)
        self.wrap_up = WrapUpPanel(self)
        self.suggestions = SuggestionPanel(self)
        self.whispers = WhisperInbox(self)

        parts = screen_layout.arrange(self)
        self.left_tabs, self.splitter, self.right_splitter = (
            parts.left_tabs,
            parts.splitter,
            parts.right_splitter,
        )
        self.transcript_title, self.suggestions_title = parts.transcript_title, parts.suggestions_title
        self.status_note = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_note)

        self.call_bar.start_requested.connect(self.start_call)
        self.call_bar.end_requested.connect(self.end_call)
        self.cue_banner.follow_up_accepted.connect(self._take_follow_up)
        self.wrap_up.sources.segment_chosen.connect(self.transcript.show_segment)
        self.hand.raise_requested.connect(self.raise_hand)
        self.hand.lower_requested.connect(self.lower_hand)
        self._call_sizes: list[int] | None = None
        self._build_actions()
        screen_keys.chain_focus(self)
        self.retranslate()

    # -- actions and shortcuts --------------------------------------------------------------------------
    def _build_actions(self) -> None:
        def action(shortcut: str | QKeySequence.StandardKey, slot: object) -> QAction:
            act = QAction(self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.act_call = action("Ctrl+Return", self.call_bar.toggle_call)
        self.act_read_whisper = action("F8", self.whispers.mark_oldest_read)
        self.act_note = action("Ctrl+N", self._focus_note)
        self.act_live = action("Ctrl+End", self.transcript.jump_to_live)
        self.act_save = action("Ctrl+S", self.wrap_up.save)
        self.act_replay = action("Ctrl+O", self.replay_file)
        self.act_settings = action("Ctrl+,", self.open_settings)
        self.act_quit = action(QKeySequence.StandardKey.Quit, self.close)
        self.act_bigger = action("Ctrl++", lambda: self.font_step.emit(1))
        self.act_smaller = action("Ctrl+-", lambda: self.font_step.emit(-1))
        self.act_font_reset = action("Ctrl+0", lambda: self.font_step.emit(0))
        self.act_review = action("Ctrl+H", self.open_review)
        self.act_supervisor = action("Ctrl+Shift+U", self.open_supervisor)
        self.act_supervisor.setVisible(False)  # until the team server says this user supervises
        self.act_hand = action("F9", self.hand.toggle)
        self.act_next_pane = action("F6", lambda: self.cycle_pane(1))
        self.act_previous_pane = action("Shift+F6", lambda: self.cycle_pane(-1))
        self.act_light = QAction(self, checkable=True)
        self.act_dark = QAction(self, checkable=True)
        themes = QActionGroup(self)
        for act, name in ((self.act_light, "light"), (self.act_dark, "dark")):
            themes.addAction(act)
            act.triggered.connect(lambda _=False, n=name: self.theme_chosen.emit(n))
        self.act_ja = QAction("日本語", self, checkable=True)
        self.act_en = QAction("English", self, checkable=True)
        languages = QActionGroup(self)
        for act, code in ((self.act_ja, "ja"), (self.act_en, "en")):
            languages.addAction(act)
            act.triggered.connect(lambda _=False, c=code: self.ui_language_chosen.emit(c))

        bar = self.menuBar()
        self.menu_call = bar.addMenu("")
        for act in (
            self.act_call,
            self.act_replay,
            self.act_note,
            self.act_save,
            self.act_read_whisper,
            self.act_hand,
            self.act_live,
            self.act_next_pane,
            self.act_previous_pane,
        ):
            self.menu_call.addAction(act)
        self.menu_call.addSeparator()
        self.menu_call.addAction(self.act_settings)
        self.menu_call.addAction(self.act_quit)
        self.menu_view = bar.addMenu("")
        for act in (self.act_light, self.act_dark):
            self.menu_view.addAction(act)
        self.menu_view.addSeparator()
        for act in (self.act_bigger, self.act_smaller, self.act_font_reset):
            self.menu_view.addAction(act)
        self.menu_language = bar.addMenu("")
        self.menu_language.addAction(self.act_ja)
        self.menu_language.addAction(self.act_en)
        self.menu_windows = bar.addMenu("")
        self.menu_windows.addAction(self.act_review)
        self.menu_windows.addAction(self.act_supervisor)
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("windowsToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addAction(self.act_review)
        self.toolbar.addAction(self.act_supervisor)
        self.addToolBar(self.toolbar)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Agent Assist"))
        self.left_tabs.setTabText(0, self.tr("Customer"))
        self.left_tabs.setTabText(1, self.tr("Notes"))
        self.left_tabs.setTabText(2, self.tr("Wrap-up"))
        self.transcript_title.setText("<b>" + self.tr("Live transcript") + "</b>")
        self.suggestions_title.setText("<b>" + self.tr("Suggestions") + "</b>")
        self.menu_call.setTitle(self.tr("&Call"))
        self.menu_view.setTitle(self.tr("&View"))
        self.menu_language.setTitle(self.tr("&Language"))
        self.act_call.setText(self.tr("Start / end call"))
        self.act_replay.setText(self.tr("Replay a recording…"))
        self.act_note.setText(self.tr("Quick note"))
        self.act_save.setText(self.tr("Save wrap-up"))
        self.act_read_whisper.setText(self.tr("Mark whisper read"))
        self.act_live.setText(self.tr("Jump to live"))
        self.act_hand.setText(self.tr("Raise / lower hand"))
        self.act_next_pane.setText(self.tr("Next pane"))
        self.act_previous_pane.setText(self.tr("Previous pane"))
        self.act_settings.setText(self.tr("Settings…"))
        self.act_quit.setText(self.tr("Quit"))
        self.act_light.setText(self.tr("Light theme"))
        self.act_dark.setText(self.tr("Dark theme"))
        self.act_bigger.setText(self.tr("Larger text"))
        self.act_smaller.setText(self.tr("Smaller text"))
        self.act_font_reset.setText(self.tr("Default text size"))
        self.menu_windows.setTitle(self.tr("&Windows"))
        self.toolbar.setWindowTitle(self.tr("Windows"))
        self.act_review.setText(self.tr("History && review"))
        self.act_review.setToolTip(self.tr("Past calls, search, insights (Ctrl+H)"))
        self.act_supervisor.setText(self.tr("Supervisor console"))
        self.act_supervisor.setToolTip(self.tr("Follow the team's live calls and whisper (Ctrl+Shift+U)"))
        for act, name in (
            (self.act_review, self.tr("Open history and review")),
            (self.act_supervisor, self.tr("Open the supervisor console")),
        ):
            button = self.toolbar.widgetForAction(act)
            if button is not None:
                button.setAccessibleName(name)
        for part in (
            self.call_bar,
            self.hand,
            self.transcript,
            self.cue_banner,
            self.coach,
            self.context_panel,
            self.notes,
            self.wrap_up,
            self.suggestions,
            self.whispers,
        ):
            part.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- what the bridge delivers -----------------------------------------------------------------------
    def show_transcript(self, event: TranscriptEvent) -> None:
        self.transcript.show_event(event)

    def show_audio_status(self, event: AudioStatusEvent) -> None:
        if event.kind is AudioStatusKind.LEVEL and event.channel is not None:
            self.call_bar.set_level(event.channel, event.value)
        elif event.kind is AudioStatusKind.LAG:
            self.call_bar.set_lag(event.value)
        elif event.kind is AudioStatusKind.RECORDING_STOPPED:
            self.call_bar.set_recording(False)
            self.show_problem(self.tr("Recording stopped: %1").replace("%1", event.message))
        elif event.kind is AudioStatusKind.DEVICE_LOST:
            self.show_problem(
                self.tr(
                    "Audio device lost: %1. The other side keeps going; reconnect it or pick another in "
                    "Settings."
                ).replace("%1", event.message)
            )
        elif event.kind is AudioStatusKind.DEVICE_RESTORED:
            self.show_problem(self.tr("Audio device back: %1").replace("%1", event.message))

    def show_customer(self, customer: CustomerView) -> None:
        self.call_bar.set_customer(customer)
        self.context_panel.show_customer(customer)

    def show_suggestions(self, cards: list[SuggestionView]) -> None:
        self.suggestions.show_suggestions(cards)  # re-chains the cards into the tab order

    def show_cue(self, cue: CueView) -> None:
        self.cue_banner.show_cue(cue)

    def show_coaching(self, coaching: CoachingView) -> None:
        self.coach.show_coaching(coaching)

    def show_whisper(self, whisper: WhisperView) -> None:
        about = ""
        if whisper.anchor_segment:
            line = next((x for x in self.transcript.lines() if x.segment_id == whisper.anchor_segment), None)
            about = line.text if line is not None else ""
        self.whispers.add_whisper(whisper, about)
        if self.call_bar.in_call:
            self.hand.answered(whisper.sender, whisper.kind == "coming")

    def show_connection(self, state: ConnectionState) -> None:
        self.call_bar.set_connection(state)

    def show_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)

    def call_started(self, team: bool = True) -> None:
        """A call begins (``team``: a team server is set up, so a raised hand reaches a supervisor)."""
        self.transcript.set_listening(True)
        self.transcript.clear()
        self.suggestions.clear()
        self.notes.clear()
        self.whispers.clear()  # the last call's whispers belong to its record, not to this call
        self.cue_banner.clear()
        self.coach.clear()
        self.call_bar.set_in_call(True)
        self.hand.set_in_call(True, team)
        self.left_tabs.setCurrentWidget(self.context_panel)
        if self._call_sizes is not None:
            self.splitter.setSizes(self._call_sizes)  # the layout the agent had during calls
            self._call_sizes = None

    def call_ended(self, draft: WrapUpDraft) -> None:
        self.call_bar.set_in_call(False)
        self.transcript.set_listening(False)
        self.hand.set_in_call(False)  # a hand belongs to its call
        self.cue_banner.clear()
        self.whispers.settle()
        self.wrap_up.prefill(draft)
        self.left_tabs.setCurrentWidget(self.wrap_up)
        # Room for the wrap-up form, taken from the transcript; the call layout comes back at the next call.
        self._call_sizes = screen_layout.widen_wrap_up(self.splitter, self.WRAP_UP_WIDTH) or self._call_sizes

    # -- keyboard and layout memory (desktop.agent.screen_keys) -----------------------------------------
    def panes(self) -> list[QWidget]:  # where F6 goes, in order
        return screen_keys.panes(self)

    def cycle_pane(self, step: int) -> None:
        screen_keys.cycle_pane(self, step)

    def restore_layout(self, settings: QSettings) -> None:
        screen_keys.restore_layout(self, settings)

    def save_layout(self, settings: QSettings) -> None:
        screen_keys.save_layout(self, settings)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout(app_settings())
        super().closeEvent(event)

    # -- small glue ---------------------------------------------------------------------------------------
    def _focus_note(self) -> None:
        self.left_tabs.setCurrentWidget(self.notes)
        self.notes.input.setFocus()

    def _take_follow_up(self, cue: CueView) -> None:
        if cue.due:
            self.wrap_up.set_follow_up(cue.due)
        if cue.text and not self.wrap_up.next_action.text():
            self.wrap_up.next_action.setText(cue.text)
