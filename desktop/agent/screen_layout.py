"""Where the call screen's parts sit (split from desktop.agent.main_window): the call bar and the raise-hand
strip across the top; on the left the customer's context, quick notes and the wrap-up (tabs); in the middle
the cue banner and coaching over the live transcript; on the right the suggestion cards over the whisper
inbox. And the room the wrap-up form gets when a call ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from desktop.agent.main_window import CallScreen


@dataclass(frozen=True, slots=True)
class ScreenLayout:
    """The containers :func:`arrange` made (their titles are set by the screen's ``retranslate``)."""

    left_tabs: QTabWidget
    transcript_title: QLabel
    suggestions_title: QLabel
    splitter: QSplitter  # left | middle | right
    right_splitter: QSplitter  # cards over whispers


def arrange(w: CallScreen) -> ScreenLayout:
    """Lay the screen's parts out in its central widget."""
    left_tabs = QTabWidget(w)
    left_tabs.setObjectName("leftTabs")
    left_tabs.addTab(w.context_panel, "")
    left_tabs.addTab(w.notes, "")
    left_tabs.addTab(w.wrap_up, "")

    middle = QWidget(w)
    middle_layout = QVBoxLayout(middle)
    middle_layout.setContentsMargins(0, 0, 0, 0)
    transcript_title = QLabel(middle)
    middle_layout.addWidget(transcript_title)
    middle_layout.addWidget(w.cue_banner)
    middle_layout.addWidget(w.coach)
    middle_layout.addWidget(w.transcript, 1)

    right = QSplitter(Qt.Orientation.Vertical, w)
    right.setObjectName("rightSplitter")
    suggestions_box = QWidget(right)
    box_layout = QVBoxLayout(suggestions_box)
    box_layout.setContentsMargins(0, 0, 0, 0)
    suggestions_title = QLabel(suggestions_box)
    box_layout.addWidget(suggestions_title)
    box_layout.addWidget(w.suggestions, 1)
    right.addWidget(suggestions_box)
    right.addWidget(w.whispers)
    right.setStretchFactor(0, 3)
    right.setStretchFactor(1, 1)
    right.setSizes([560, 200])

    splitter = QSplitter(Qt.Orientation.Horizontal, w)
    splitter.setObjectName("mainSplitter")
    splitter.addWidget(left_tabs)
    splitter.addWidget(middle)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 2)
    splitter.setStretchFactor(1, 4)
    splitter.setStretchFactor(2, 3)
    splitter.setSizes([320, 560, 400])

    central = QWidget(w)
    layout = QVBoxLayout(central)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(w.call_bar)
    layout.addWidget(w.hand)
    layout.addWidget(splitter, 1)
    w.setCentralWidget(central)
    return ScreenLayout(left_tabs, transcript_title, suggestions_title, splitter, right)


def widen_wrap_up(splitter: QSplitter, width: int) -> list[int] | None:
    """Give the wrap-up form (the left column) ``width``, taken from the transcript (the call is over).
    Returns the sizes it had before, to restore at the next call; None when nothing changed."""
    sizes = splitter.sizes()
    if len(sizes) != 3 or sizes[0] >= width or sum(sizes) == 0:
        return None
    extra = min(width - sizes[0], max(0, sizes[1] - 200))
    splitter.setSizes([sizes[0] + extra, sizes[1] - extra, sizes[2]])
    return sizes
