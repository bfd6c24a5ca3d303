"""After the call: the review window (history and search, call detail with playback, insights).

``create_review_window(store)`` is what the app's menu opens; everything else here is its parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from assist.store import Store
    from desktop.common.background import RunOnStore
    from desktop.review.call_detail import PlayerFactory


def create_review_window(
    store: Store,
    *,
    author: str = "",
    player_factory: PlayerFactory | None = None,
    recordings_root: Path | None = None,
    run_on_store: RunOnStore | None = None,
) -> QWidget:
    from desktop.review.window import ReviewWindow

    return ReviewWindow(
        store,
        author=author,
        player_factory=player_factory,
        recordings_root=recordings_root,
        run_on_store=run_on_store,
    )
