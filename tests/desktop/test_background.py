"""The one background-work pattern: work runs on a worker, its result or failure comes back on the Qt main
thread, and nothing comes back once the owner closed (the review window's writes: tests/review)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from PySide6.QtCore import QObject

from desktop.app import ensure_app
from desktop.common.background import Background
from desktop.common.worker import SerialWorker


@pytest.fixture
def worker() -> Iterator[SerialWorker]:
    w = SerialWorker("test-background")
    yield w
    w.shutdown(timeout=10.0)


def test_a_result_and_a_failure_arrive_on_the_main_thread(worker: SerialWorker, qtbot: Any) -> None:
    ensure_app()
    owner = QObject()
    background = Background(owner)
    main = threading.get_ident()
    got: list[tuple[str, object, int]] = []

    background.deliver(
        worker.submit(threading.get_ident), lambda v: got.append(("result", v, threading.get_ident()))
    )

    def broken() -> None:
        raise OSError("disk full")

    background.deliver(
        worker.submit(broken),
        lambda v: got.append(("result", v, threading.get_ident())),
        lambda exc: got.append(("error", str(exc), threading.get_ident())),
    )
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    (kind, worked_on, delivered_on), failure = got
    assert kind == "result" and worked_on != main and delivered_on == main
    assert failure == ("error", "disk full", main)


def test_nothing_is_delivered_once_the_owner_closed(worker: SerialWorker, qtbot: Any) -> None:
    ensure_app()
    owner = QObject()
    background = Background(owner)
    gate = threading.Event()
    got: list[object] = []
    background.deliver(worker.submit(gate.wait), got.append)
    background.close()
    gate.set()
    after: Future[str] = worker.submit(lambda: "later")
    seen: list[str] = []
    Background(owner).deliver(after, seen.append)  # a live one, to know the queue was drained
    qtbot.waitUntil(lambda: seen == ["later"], timeout=5000)
    assert got == []
