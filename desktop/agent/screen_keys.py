"""How the call screen is moved through by keyboard and remembered between runs: the panes F6 cycles
through, the Tab order, and the window's geometry and splitters (split from desktop.agent.main_window)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from desktop.agent.main_window import CallScreen


def panes(w: CallScreen) -> list[QWidget]:
    """Where F6 goes, in order: call bar, transcript, cards, whispers, the left tabs' page."""
    page = w.left_tabs.currentWidget()
    page_focus: QWidget = w.left_tabs
    for widget in (w.wrap_up.summary, w.notes.input, w.context_panel.view):
        if page is not None and page.isAncestorOf(widget):
            page_focus = widget
            break
    return [
        w.call_bar.call_button,
        w.transcript.list,
        w.suggestions.first_focus(),
        w.whispers.list,
        page_focus,
    ]


def cycle_pane(w: CallScreen, step: int) -> None:
    order = panes(w)
    focus = w.focusWidget()
    current = next((i for i, pane in enumerate(order) if focus is not None and _in_pane(w, focus, i)), -1)
    target = order[(current + step) % len(order)] if current >= 0 else order[0 if step > 0 else -1]
    target.setFocus(Qt.FocusReason.TabFocusReason)


def _in_pane(w: CallScreen, widget: QWidget, index: int) -> bool:
    containers: list[QWidget] = [
        w.call_bar,
        w.transcript,
        w.suggestions,
        w.whispers,
        w.left_tabs,
    ]
    if index == 0 and w.hand.isAncestorOf(widget):
        return True
    container = containers[index]
    return widget is container or container.isAncestorOf(widget)


def chain_focus(w: CallScreen) -> None:
    """Tab order: call bar -> raise hand -> transcript -> cards -> whispers -> left tabs (wrap-up)."""
    chain: list[QWidget] = [
        w.call_bar.call_button,
        w.call_bar.phone,
        w.hand.button,
        w.hand.reason,
        w.transcript.list,
        w.transcript.jump_button,
        w.suggestions,
    ]
    for first, second in itertools.pairwise(chain):
        QWidget.setTabOrder(first, second)
    tail: list[QWidget] = [
        w.whispers.list,
        w.left_tabs,
        w.wrap_up.summary,
        w.wrap_up.tags,
        w.wrap_up.disposition,
        w.wrap_up.next_action,
        w.wrap_up.has_follow_up,
        w.wrap_up.follow_up,
        w.wrap_up.save_button,
    ]
    for first, second in itertools.pairwise(tail):
        QWidget.setTabOrder(first, second)
    w.suggestions.after = w.whispers.list
    w.suggestions.chain_focus()


def restore_layout(w: CallScreen, settings: QSettings) -> None:
    for key, apply in (
        ("window/geometry", w.restoreGeometry),
        ("window/state", w.restoreState),
        ("window/splitter", w.splitter.restoreState),
        ("window/right", w.right_splitter.restoreState),
    ):
        value = settings.value(key)
        if isinstance(value, QByteArray):
            apply(value)


def save_layout(w: CallScreen, settings: QSettings) -> None:
    settings.setValue("window/geometry", w.saveGeometry())
    settings.setValue("window/state", w.saveState())
    settings.setValue("window/splitter", w.splitter.saveState())
    settings.setValue("window/right", w.right_splitter.saveState())
