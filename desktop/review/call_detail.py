"""A past call in detail: its transcript with the audio, and everything else that happened on the same
timeline (whispers, suggestions shown and used, cues, bookmarks, comments); the wrap-up and the customer's
notes editable beside it.

Clicking a line plays the recording from just before it; while it plays, the line being heard is highlighted
and kept in view (``assist.timeline.line_at``). Bookmarks and comments (an agent's own, or a supervisor's
coaching) attach to the selected line. Parts: TimelineList, AnnotationBar, ReviewWrapUp (own modules).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from assist.domain import CallRecord
from assist.exports import (
    DEFAULT_LABELS,
    JA_LABELS,
    ExportError,
    TranscriptFormat,
    recording_files,
    stored_transcript,
    write_text,
)
from assist.review_schema import ReviewNotes
from assist.store import Store
from assist.timeline import TimelineItem, TimelineKind, clock, load_timeline, play_from
from desktop.common.background import Background, RunOnStore, StoreWrites
from desktop.review.annotation_bar import AnnotationBar
from desktop.review.conversation_view import ConversationPanel
from desktop.review.playback import CallAudio, CallPlayback, PlaybackError, load_call_audio
from desktop.review.review_wrap_up import ReviewWrapUp
from desktop.review.timeline_list import TimelineList

PlayerFactory = Callable[[CallAudio], CallPlayback]


class CallDetail(QWidget):
    """Signals:
    call_saved(str): the wrap-up of this call id was saved (the history list refreshes its row).
    """

    call_saved = Signal(str)

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        author: str = "",
        player_factory: PlayerFactory | None = None,
        recordings_root: Path | None = None,
        poll_ms: int = 50,
        run_on_store: RunOnStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store  # read here; written only on the store's thread (run_on_store)
        self.author = author
        self.review = ReviewNotes(store)
        self._background = Background(self)
        self._write = StoreWrites(
            self._background, store, self._write_failed, run_on_store, "review-store", recordings_root
        )
        self._player_factory = player_factory or CallPlayback
        self._recordings_root = recordings_root
        self.call: CallRecord | None = None
        self.player: CallPlayback | None = None

        self.header = QLabel(self)
        self.header.setObjectName("callHeader")
        self.header.setWordWrap(True)
        self.timeline = TimelineList(self)
        self.timeline.itemClicked.connect(self._clicked)
        self.play_button = QPushButton(self)
        self.play_button.clicked.connect(self.toggle_play)
        self.position_label = QLabel(self)
        # Where playback is, in tenths of a second; dragging or the arrow keys move it.
        self.seek_bar = QSlider(Qt.Orientation.Horizontal, self)
        self.seek_bar.setObjectName("seekBar")
        self.seek_bar.setRange(0, 1)
        self.seek_bar.setSingleStep(50)  # 5 s per arrow key
        self.seek_bar.setPageStep(300)
        self.seek_bar.sliderReleased.connect(self._seek_released)
        self.seek_bar.valueChanged.connect(
            lambda _v: None if self.seek_bar.isSliderDown() else self._seek_released()
        )
        self.status = QLabel(self)
        self.status.setObjectName("reviewStatus")
        self.status.setWordWrap(True)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.position_label)
        controls.addWidget(self.status, 1)

        self.annotations = AnnotationBar(
            self._write,
            self.timeline,
            lambda: self.call,
            lambda: self.player.position if self.player else 0.0,
            self,
        )
        self.annotations.author = author
        self.annotations.added.connect(self._render_timeline)
        self.comment_edit, self.comment_role = self.annotations.comment_edit, self.annotations.comment_role
        self.bookmark_selected = self.annotations.bookmark_selected
        self.comment_selected = self.annotations.comment_selected
        self.export_format = QComboBox(self)
        for fmt in TranscriptFormat:
            self.export_format.addItem(fmt.value.upper(), fmt.value)
        self.export_button = QPushButton(self)
        self.export_button.clicked.connect(self._choose_export)
        controls.addWidget(self.export_format)
        controls.addWidget(self.export_button)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.header)
        left_layout.addLayout(controls)
        left_layout.addWidget(self.seek_bar)
        left_layout.addWidget(self.timeline, 1)
        left_layout.addWidget(self.annotations)

        self.wrap_up = ReviewWrapUp(store, self._write, self)
        self.wrap_up.author = author
        self.wrap_up.saved.connect(self._wrap_up_saved)
        # The form's parts, as the window and its tests know them.
        self.summary, self.tags = self.wrap_up.summary, self.wrap_up.tags
        self.disposition, self.note_edit = self.wrap_up.disposition, self.wrap_up.note_edit
        self.save_wrap_up, self.add_note = self.wrap_up.save_wrap_up, self.wrap_up.add_note
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.conversation = ConversationPanel(self)
        self.conversation.line_chosen.connect(self.timeline.select_segment)
        right_layout.addWidget(self.conversation, 1)
        right_layout.addWidget(self.wrap_up, 1)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 440])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._follow_playback)
        self.retranslate()
        self._set_enabled(False)

    # -- texts -----------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.play_button.setText(self.tr("Pause") if self._is_playing() else self.tr("Play"))
        self.play_button.setAccessibleName(self.tr("Play or pause the recording"))
        for widget, name in (
            (self.seek_bar, self.tr("Position in the recording")),
            (self.timeline, self.tr("Call timeline: what was said, whispers, cards and comments")),
            (self.export_format, self.tr("Transcript export format")),
        ):
            widget.setAccessibleName(name)
        self.export_button.setText(self.tr("Export…"))
        self.annotations.retranslate()
        self.wrap_up.retranslate()
        self.conversation.retranslate()
        if self.call is not None:
            self._render_header()
            self._render_timeline()
        else:
            self.header.setText(self.tr("Choose a call in the list to review it."))

    # -- loading ---------------------------------------------------------------------------------------
    def show_call(self, call_id: str, position: float | None = None) -> bool:
        self.stop()
        call = self.store.get_call(call_id)
        if call is None:
            self.call = None
            self.status.setText(self.tr("This call is no longer in the store."))
            self._set_enabled(False)
            return False
        self.call = call
        self.player = None
        self.timeline.highlighted = None
        self._render_header()
        self._render_timeline()
        self.wrap_up.show_call(call)
        self.conversation.show_call(self.store, call.id)
        has_audio = bool(recording_files(call.id, self._recordings_root))
        self.status.setText("" if has_audio else self.tr("No recording is kept for this call."))
        self._set_enabled(True)
        self.play_button.setEnabled(has_audio)
        self.status.setToolTip("")
        self.seek_bar.blockSignals(True)
        # Until the audio is loaded its length is the call's last line; set exactly once it is.
        self.seek_bar.setRange(
            0, max(1, round(max((end for _, end in self.timeline.spans), default=0.0) * 10))
        )
        self.seek_bar.setValue(0)
        self.seek_bar.blockSignals(False)
        self.seek_bar.setEnabled(has_audio)
        if position is not None:
            self.timeline.select_line_at(position)
        return True

    def _render_header(self) -> None:
        call = self.call
        assert call is not None
        customer = self.store.get_customer(call.customer_id) if call.customer_id else None
        who = customer.name if customer else (call.customer_id or self.tr("Unknown caller"))
        self.header.setText(
            self.tr("{who} · agent {agent} · {when}").format(
                who=who, agent=call.agent or "-", when=call.started_at[:16].replace("T", " ")
            )
        )

    def _render_timeline(self) -> None:
        assert self.call is not None
        self.timeline.show_items(load_timeline(self.store, self.call))

    def _set_enabled(self, on: bool) -> None:
        for w in (
            self.play_button,
            self.seek_bar,
            self.export_button,
            self.export_format,
        ):
            w.setEnabled(on)
        self.annotations.set_enabled(on)
        self.wrap_up.set_enabled(on)

    # -- what the reviewer sees ------------------------------------------------------------------------
    def lines(self) -> list[TimelineItem]:
        return self.timeline.lines()

    def items(self) -> list[TimelineItem]:
        return self.timeline.all_items()

    def highlighted_line(self) -> TimelineItem | None:
        return self.timeline.highlighted_line()

    # -- playback --------------------------------------------------------------------------------------
    def _is_playing(self) -> bool:
        return self.player is not None and self.player.playing

    def _ensure_player(self) -> CallPlayback | None:
        if self.player is None and self.call is not None:
            files = {
                p.stem: p for p in recording_files(self.call.id, self._recordings_root) if p.suffix == ".wav"
            }
            try:
                self.player = self._player_factory(load_call_audio(files))
            except PlaybackError as exc:
                self._playback_failed(exc)
                return None
            self.seek_bar.setRange(0, max(1, round(self.player.audio.duration * 10)))
        return self.player

    def play_line(self, index: int) -> None:
        start = self.lines()[index].position
        self.play(play_from(start))
        self.timeline.highlight(index)

    def play(self, seconds: float | None = None) -> None:
        player = self._ensure_player()
        if player is None:
            return
        try:
            player.play(seconds)
        except PlaybackError as exc:
            self._playback_failed(exc)
            return
        self._timer.start()
        self.play_button.setText(self.tr("Pause"))

    def _playback_failed(self, error: PlaybackError) -> None:
        """One sentence in the UI language; what the system said (often English) goes to the tooltip."""
        sentence = {
            "unreadable": self.tr("The recording of this call cannot be read."),
            "no_recording": self.tr("No recording is kept for this call."),
            "no_output": self.tr(
                "This PC's sound output cannot play the recording. Check the speakers or headset."
            ),
        }.get(error.reason, self.tr("The recording cannot be played."))
        self.status.setText(sentence)
        self.status.setToolTip(error.detail or str(error))

    def seek_to(self, seconds: float) -> None:
        """Move playback (or, before playing, the starting point) to ``seconds`` and show that line."""
        player = self._ensure_player()
        if player is None:
            return
        player.seek(seconds)
        self.position_label.setText(clock(seconds))
        self.timeline.highlight_at(seconds)

    def _seek_released(self) -> None:
        self.seek_to(self.seek_bar.value() / 10)

    def stop(self) -> None:
        self._timer.stop()
        if self.player is not None:
            self.player.pause()
        self.play_button.setText(self.tr("Play"))

    def toggle_play(self) -> None:
        if self._is_playing():
            self.stop()
        else:
            self.play()

    def _follow_playback(self) -> None:
        if self.player is None:
            return
        position = self.player.position
        self.position_label.setText(clock(position))
        if not self.seek_bar.isSliderDown():
            self.seek_bar.blockSignals(True)
            self.seek_bar.setValue(round(position * 10))
            self.seek_bar.blockSignals(False)
        self.timeline.highlight_at(position)
        if not self.player.playing:
            self.stop()

    def _clicked(self, row: QListWidgetItem) -> None:
        item = self.timeline.item_of(row)
        if item.kind is TimelineKind.LINE:
            index = self.timeline.line_index_of(row)
            if self.play_button.isEnabled():
                self.play_line(index)
            else:
                self.timeline.highlight(index)
        elif self.play_button.isEnabled():
            self.play(play_from(item.position))

    # -- exports and clearing --------------------------------------------------------------------------
    def export_transcript(self, fmt: TranscriptFormat, target: Path) -> bool:
        call = self.call
        if call is None:
            return False
        japanese = QLocale().language() == QLocale.Language.Japanese
        text = stored_transcript(self.store, call, fmt, JA_LABELS if japanese else DEFAULT_LABELS)
        try:
            write_text(target, text)
        except ExportError as exc:
            self.status.setText(self.tr("Could not export: {error}").format(error=exc))
            return False
        self.status.setText(self.tr("Exported to {path}.").format(path=target))
        return True

    def _choose_export(self) -> None:
        if self.call is None:
            return
        fmt = TranscriptFormat(self.export_format.currentData())
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export transcript"), f"{self.call.id}.{fmt.value}"
        )
        if name:
            self.export_transcript(fmt, Path(name))

    def clear(self) -> None:
        """Show nothing (the call was erased or is gone)."""
        self.stop()
        self.call = None
        self.player = None
        self.timeline.show_nothing()
        self.wrap_up.clear()
        self.conversation.clear()
        self.header.setText(self.tr("Choose a call in the list to review it."))
        self._set_enabled(False)

    # -- edits ---------------------------------------------------------------------------------------------
    def _wrap_up_saved(self, updated: CallRecord) -> None:
        if self.call is not None and self.call.id == updated.id:
            self.call = updated
            self.status.setText(self.tr("Wrap-up saved."))
        self.call_saved.emit(updated.id)

    def finish_writes(self) -> None:
        """Let the writes asked for finish and end this window's own store thread (the window is closing;
        a later write starts a new one)."""
        self._write.finish()

    def _write_failed(self, exc: Exception) -> None:
        self.status.setText(self.tr("Could not save: {error}").format(error=exc))
