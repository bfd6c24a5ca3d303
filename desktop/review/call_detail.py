"""A past call in detail: its transcript with the audio, and everything else that happened on the same
timeline (whispers, suggestions shown and used, cues, bookmarks, comments); the wrap-up and the customer's
notes editable beside it.

Clicking a line plays the recording from just before it; while it plays, the line being heard is highlighted
and kept in view (``timeline.line_at``). Bookmarks and comments (an agent's own, or a supervisor's coaching)
attach to the selected line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from assist.domain import CallRecord, Disposition, Note, NoteKind, new_id
from assist.exports import (
    DEFAULT_LABELS,
    JA_LABELS,
    ExportError,
    TranscriptFormat,
    recording_files,
    render_transcript,
    write_text,
)
from assist.review_schema import CommentRole, ReviewNotes
from assist.store import Store
from assist.timeline import TimelineItem, TimelineKind, clock, line_at, load_timeline, play_from
from desktop.common.background import Background, RunOnStore, StoreWorker
from desktop.common.views import join_tags, split_tags
from desktop.review.conversation_view import ConversationPanel
from desktop.review.playback import CallAudio, CallPlayback, PlaybackError, load_call_audio

_ITEM = Qt.ItemDataRole.UserRole
T = TypeVar("T")
PlayerFactory = Callable[[CallAudio], CallPlayback]


def _local_time(iso: str) -> str:
    """A stored UTC time as this PC's clock time (the agent's and the lead's day)."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return iso


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
        self._given_store_work = run_on_store
        self._own_worker: StoreWorker | None = None  # made at the first write when none is given
        self._background = Background(self)
        self._player_factory = player_factory or CallPlayback
        self._recordings_root = recordings_root
        self.call: CallRecord | None = None
        self.player: CallPlayback | None = None
        self._lines: list[tuple[float, float]] = []
        self._line_rows: list[int] = []  # list row of each transcript line
        self.highlighted: int | None = None  # index into the call's lines

        self.header = QLabel(self)
        self.header.setObjectName("callHeader")
        self.header.setWordWrap(True)
        self.timeline = QListWidget(self)
        self.timeline.setObjectName("reviewTimeline")
        self.timeline.setWordWrap(True)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
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

        self.bookmark_button = QPushButton(self)
        self.bookmark_button.clicked.connect(self.bookmark_selected)
        self.comment_edit = QLineEdit(self)
        self.comment_edit.setMinimumWidth(220)  # room for its placeholder, not "選…"
        self.comment_role = QComboBox(self)
        self.comment_button = QPushButton(self)
        self.comment_button.clicked.connect(self.comment_selected)
        self.comment_edit.returnPressed.connect(self.comment_selected)
        self.export_format = QComboBox(self)
        for fmt in TranscriptFormat:
            self.export_format.addItem(fmt.value.upper(), fmt.value)
        self.export_button = QPushButton(self)
        self.export_button.clicked.connect(self._choose_export)
        controls.addWidget(self.export_format)
        controls.addWidget(self.export_button)
        annotate = QHBoxLayout()
        annotate.addWidget(self.bookmark_button)
        annotate.addWidget(self.comment_edit, 1)
        annotate.addWidget(self.comment_role)
        annotate.addWidget(self.comment_button)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.header)
        left_layout.addLayout(controls)
        left_layout.addWidget(self.seek_bar)
        left_layout.addWidget(self.timeline, 1)
        left_layout.addLayout(annotate)

        self.summary = QPlainTextEdit(self)
        self.tags = QLineEdit(self)
        self.disposition = QComboBox(self)
        for d in Disposition:
            self.disposition.addItem("", d.value)
        self.next_action = QLineEdit(self)
        self.save_button = QPushButton(self)
        self.save_button.clicked.connect(self.save_wrap_up)
        self.notes = QListWidget(self)
        self.notes.setWordWrap(True)
        self.note_edit = QLineEdit(self)
        self.note_edit.setMinimumWidth(220)
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_button = QPushButton(self)
        self.note_button.clicked.connect(self.add_note)
        self.summary.setMinimumWidth(320)  # a real editor, not a 120 px strip beside the labels
        self.summary.setTabChangesFocus(True)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form_labels = [QLabel(self) for _ in range(4)]
        for label, field in zip(
            self.form_labels, (self.summary, self.tags, self.disposition, self.next_action), strict=True
        ):
            label.setBuddy(field)
            self.form.addRow(label, field)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.wrap_title = QLabel(self)
        self.notes_title = QLabel(self)
        self.conversation = ConversationPanel(self)
        self.conversation.line_chosen.connect(self.select_segment)
        right_layout.addWidget(self.conversation, 1)
        right_layout.addWidget(self.wrap_title)
        right_layout.addLayout(self.form)
        right_layout.addWidget(self.save_button)
        right_layout.addWidget(self.notes_title)
        right_layout.addWidget(self.notes, 1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        right_layout.addLayout(note_row)

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
            (self.comment_edit, self.tr("Comment on the selected line")),
            (self.comment_role, self.tr("Comment as")),
            (self.export_format, self.tr("Transcript export format")),
            (self.summary, self.tr("Summary")),
            (self.tags, self.tr("Tags")),
            (self.disposition, self.tr("Disposition")),
            (self.next_action, self.tr("Next action")),
            (self.notes, self.tr("Customer notes")),
            (self.note_edit, self.tr("New note about this customer")),
        ):
            widget.setAccessibleName(name)
        self.bookmark_button.setText(self.tr("Bookmark line"))
        self.export_button.setText(self.tr("Export…"))
        self.comment_edit.setPlaceholderText(self.tr("Comment on the selected line…"))
        self.comment_button.setText(self.tr("Comment"))
        self.comment_role.clear()
        self.comment_role.addItem(self.tr("Self-review"), CommentRole.AGENT.value)
        self.comment_role.addItem(self.tr("Supervisor"), CommentRole.SUPERVISOR.value)
        self.wrap_title.setText(self.tr("Wrap-up"))
        self.notes_title.setText(self.tr("Customer notes"))
        self.save_button.setText(self.tr("Save wrap-up"))
        self.note_edit.setPlaceholderText(self.tr("Add a note about this customer…"))
        self.note_button.setText(self.tr("Add note"))
        texts = (
            self.tr("Summary"),
            self.tr("Tags (separated by commas)"),
            self.tr("Disposition"),
            self.tr("Next action"),
        )
        for label, text in zip(self.form_labels, texts, strict=True):
            label.setText(text)
        names = {
            Disposition.RESOLVED: self.tr("Resolved"),
            Disposition.FOLLOW_UP: self.tr("Follow-up"),
            Disposition.ESCALATED: self.tr("Escalated"),
            Disposition.UNRESOLVED: self.tr("Unresolved"),
        }
        for i in range(self.disposition.count()):
            self.disposition.setItemText(i, names[Disposition(self.disposition.itemData(i))])
        self.conversation.retranslate()
        if self.call is not None:
            self._render_header()
            self._render_timeline()
        else:
            self.header.setText(self.tr("Choose a call in the list to review it."))

    def _kind_label(self, kind: TimelineKind) -> str:
        return {
            TimelineKind.WHISPER: self.tr("Whisper"),
            TimelineKind.SUGGESTION_SHOWN: self.tr("Suggestion shown"),
            TimelineKind.SUGGESTION_USED: self.tr("Suggestion used"),
            TimelineKind.CUE: self.tr("Cue"),
            TimelineKind.BOOKMARK: self.tr("Bookmark"),
            TimelineKind.COMMENT: self.tr("Comment"),
            TimelineKind.OVERLAP: self.tr("Overlap"),
            TimelineKind.SILENCE: self.tr("Silence"),
        }.get(kind, "")

    def _speaker(self, channel: str) -> str:
        return self.tr("Agent") if channel == "agent" else self.tr("Customer")

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
        self.highlighted = None
        self._render_header()
        self._render_timeline()
        self.summary.setPlainText(call.summary)
        self.tags.setText(join_tags(call.tags))
        index = self.disposition.findData(call.disposition)
        self.disposition.setCurrentIndex(max(0, index))
        self.next_action.setText(call.next_action)
        self._render_notes()
        self.conversation.show_call(self.store, call.id)
        has_audio = bool(recording_files(call.id, self._recordings_root))
        self.status.setText("" if has_audio else self.tr("No recording is kept for this call."))
        self._set_enabled(True)
        self.play_button.setEnabled(has_audio)
        self.status.setToolTip("")
        self.seek_bar.blockSignals(True)
        # Until the audio is loaded its length is the call's last line; set exactly once it is.
        self.seek_bar.setRange(0, max(1, round(max((end for _, end in self._lines), default=0.0) * 10)))
        self.seek_bar.setValue(0)
        self.seek_bar.blockSignals(False)
        self.seek_bar.setEnabled(has_audio)
        if position is not None:
            self.select_line_at(position)
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
        self.timeline.clear()
        self._lines, self._line_rows = [], []
        for item in load_timeline(self.store, self.call):
            row = QListWidgetItem()
            row.setData(_ITEM, item)
            if item.kind is TimelineKind.LINE:
                row.setText(f"{clock(item.position)}  {self._speaker(item.channel)}: {item.text}")
                self._lines.append((item.position, item.end if item.end is not None else item.position))
                self._line_rows.append(self.timeline.count())
            else:
                author = f" ({item.author})" if item.author else ""
                if item.kind is TimelineKind.WHISPER:
                    read = (
                        self.tr("read at {time}").format(time=_local_time(item.read_at))
                        if item.read_at
                        else self.tr("not read")
                    )
                    author = f" ({item.author + ' · ' if item.author else ''}{read})"
                row.setText(f"      ↳ {self._kind_label(item.kind)}{author}: {item.text}")
                font = QFont(self.timeline.font())
                font.setItalic(True)
                row.setFont(font)
                row.setForeground(QBrush(self.timeline.palette().color(QPalette.ColorRole.PlaceholderText)))
            self.timeline.addItem(row)
        self._apply_highlight(self.highlighted, force=True)

    def _render_notes(self) -> None:
        self.notes.clear()
        call = self.call
        if call is None or not call.customer_id:
            return
        kinds = {
            NoteKind.CAUTION: self.tr("Caution"),
            NoteKind.NEXT_ACTION: self.tr("Next action"),
            NoteKind.CONTEXT: self.tr("Note"),
        }
        for note in self.store.notes_for(call.customer_id):
            self.notes.addItem(
                f"{kinds[note.kind]} · {note.author or '-'} · {note.created_at[:10]}\n{note.text}"
            )

    def _set_enabled(self, on: bool) -> None:
        for w in (
            self.play_button,
            self.seek_bar,
            self.export_button,
            self.export_format,
            self.bookmark_button,
            self.comment_edit,
            self.comment_button,
            self.save_button,
            self.summary,
            self.tags,
            self.disposition,
            self.next_action,
            self.note_edit,
            self.note_button,
        ):
            w.setEnabled(on)

    # -- what the reviewer sees ------------------------------------------------------------------------
    def lines(self) -> list[TimelineItem]:
        return [self.timeline.item(r).data(_ITEM) for r in self._line_rows]

    def items(self) -> list[TimelineItem]:
        return [self.timeline.item(r).data(_ITEM) for r in range(self.timeline.count())]

    def highlighted_line(self) -> TimelineItem | None:
        return None if self.highlighted is None else self.lines()[self.highlighted]

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
        self._apply_highlight(index)

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
        self._apply_highlight(line_at(self._lines, seconds))

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
        self._apply_highlight(line_at(self._lines, position))
        if not self.player.playing:
            self.stop()

    def _apply_highlight(self, index: int | None, force: bool = False) -> None:
        if index == self.highlighted and not force:
            return
        if self.highlighted is not None and self.highlighted < len(self._line_rows):
            old = self.timeline.item(self._line_rows[self.highlighted])
            font = QFont(self.timeline.font())
            old.setFont(font)
            old.setBackground(QBrush())
        self.highlighted = index
        if index is None or index >= len(self._line_rows):
            return
        item = self.timeline.item(self._line_rows[index])
        font = QFont(self.timeline.font())
        font.setBold(True)
        item.setFont(font)
        item.setBackground(QBrush(self.timeline.palette().color(QPalette.ColorRole.AlternateBase)))
        self.timeline.scrollToItem(item, QAbstractItemView.ScrollHint.EnsureVisible)

    def select_line_at(self, position: float) -> None:
        index = line_at(self._lines, position)
        if index is not None:
            self.timeline.setCurrentRow(self._line_rows[index])
            self._apply_highlight(index)

    def select_segment(self, segment_id: str) -> None:
        """Show the transcript line a wrap-up or scorecard line came from."""
        for index, line in enumerate(self.lines()):
            if line.segment_id == segment_id:
                self.timeline.setCurrentRow(self._line_rows[index])
                self._apply_highlight(index)
                return

    def _clicked(self, row: QListWidgetItem) -> None:
        item: TimelineItem = row.data(_ITEM)
        if item.kind is TimelineKind.LINE:
            index = self._line_rows.index(self.timeline.row(row))
            if self.play_button.isEnabled():
                self.play_line(index)
            else:
                self._apply_highlight(index)
        elif self.play_button.isEnabled():
            self.play(play_from(item.position))

    # -- exports and clearing --------------------------------------------------------------------------
    def export_transcript(self, fmt: TranscriptFormat, target: Path) -> bool:
        call = self.call
        if call is None:
            return False
        japanese = QLocale().language() == QLocale.Language.Japanese
        customer = self.store.get_customer(call.customer_id) if call.customer_id else None
        text = render_transcript(
            fmt,
            call,
            self.store.segments_for(call.id),
            JA_LABELS if japanese else DEFAULT_LABELS,
            customer.name if customer else "",
            self.store.whispers_for(call.id),
        )
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
        self.highlighted = None
        self.timeline.clear()
        self._lines, self._line_rows = [], []
        self.notes.clear()
        self.summary.clear()
        self.tags.clear()
        self.next_action.clear()
        self.conversation.clear()
        self.header.setText(self.tr("Choose a call in the list to review it."))
        self._set_enabled(False)

    # -- annotations and edits -------------------------------------------------------------------------
    def _selected(self) -> TimelineItem | None:
        row = self.timeline.currentItem()
        if row is None:
            return self.highlighted_line()
        item: TimelineItem = row.data(_ITEM)
        return item

    def bookmark_selected(self) -> None:
        item, call, author = self._selected(), self.call, self.author
        if call is None:
            return
        position = item.position if item is not None else (self.player.position if self.player else 0.0)
        label = item.text[:60] if item is not None and item.kind is TimelineKind.LINE else ""
        segment_id = item.segment_id if item else ""
        self._write(
            lambda store: ReviewNotes(store).add_bookmark(
                call.id, position, segment_id=segment_id, label=label, author=author
            ),
            lambda _mark: self._render_timeline(),
        )

    def comment_selected(self) -> None:
        call, text, author = self.call, self.comment_edit.text().strip(), self.author
        if call is None or not text:
            return
        item = self._selected()
        segment_id = item.segment_id if item else ""
        role = CommentRole(self.comment_role.currentData())

        def commented(_comment: object) -> None:
            if self.comment_edit.text().strip() == text:
                self.comment_edit.clear()  # kept when the save failed, or when the reviewer typed on
            self._render_timeline()

        self._write(
            lambda store: ReviewNotes(store).add_comment(
                call.id, text, segment_id=segment_id, author=author, role=role
            ),
            commented,
        )

    def save_wrap_up(self) -> None:
        if self.call is None:
            return
        tags = split_tags(self.tags.text())
        updated = replace(
            self.call,
            summary=self.summary.toPlainText().strip(),
            tags=tags,
            disposition=str(self.disposition.currentData()),
            next_action=self.next_action.text().strip(),
        )

        def saved(_none: None) -> None:
            if self.call is not None and self.call.id == updated.id:
                self.call = updated
                self.status.setText(self.tr("Wrap-up saved."))
            self.call_saved.emit(updated.id)

        self._write(lambda store: store.upsert_call(updated), saved)

    def _write(self, work: Callable[[Store], T], done: Callable[[T], None]) -> None:
        """``work(store)`` on the store's thread; ``done(result)``, or the failure in the status line, back on
        this one. Nothing typed is lost when it fails: the form keeps it."""
        run_on_store = self._given_store_work
        if run_on_store is None:
            if self._own_worker is None:
                self._own_worker = StoreWorker(self.store, "review-store")
            run_on_store = self._own_worker
        try:
            future = run_on_store(work)
        except RuntimeError as exc:  # the store's thread has shut down: the app is closing
            self._write_failed(exc)
            return
        self._background.deliver(future, done, self._write_failed)

    def finish_writes(self) -> None:
        """Let the writes asked for finish and end this window's own store thread (the window is closing;
        a later write starts a new one)."""
        own, self._own_worker = self._own_worker, None
        if own is not None:
            own.shutdown()

    def _write_failed(self, exc: Exception) -> None:
        self.status.setText(self.tr("Could not save: {error}").format(error=exc))

    def add_note(self) -> None:
        call, text, author = self.call, self.note_edit.text().strip(), self.author
        if call is None or not text or not call.customer_id:
            return
        note = Note(new_id("note"), call.customer_id, text, author=author)

        def added(_none: None) -> None:
            if self.note_edit.text().strip() == text:
                self.note_edit.clear()
            self._render_notes()

        self._write(lambda store: store.upsert_note(note), added)
