"""The agent's call desk without Qt: the layer imports no Qt, its one worker keeps order and timing, and the
audio devices a call opens follow the settings."""

from __future__ import annotations

import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from audio.devices import DeviceError, InputDevice
from audio.events import Channel
from desktop.agent.desk.config import DeskConfig
from desktop.agent.desk.devices import NoDevice, pick_inputs
from desktop.common.worker import SerialWorker
from tests.conftest import ROOT
from tests.waiting import wait_until


def test_the_desk_layer_imports_no_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import desktop.agent.desk as desk\n"
        "for info in pkgutil.walk_packages(desk.__path__, 'desktop.agent.desk.'):\n"
        "    importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(','.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"Qt imported by the desk layer: {result.stdout} {result.stderr[-2000:]}"


def test_each_module_of_the_desk_layer_has_one_concern_and_under_400_lines() -> None:
    # The desk is built from one module per concern (desktop.agent.desk.call_desk says which); a module that
    # grows past the widget modules' limit is doing more than one job again.
    desk = ROOT / "desktop" / "agent" / "desk"
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in desk.glob("*.py")}
    assert {"call_desk.py", "call_flow.py", "call_end.py", "team_link.py", "desk_base.py"} <= set(sizes)
    assert {name: n for name, n in sizes.items() if n > 400} == {}


@pytest.fixture
def worker() -> Iterator[SerialWorker]:
    w = SerialWorker("test-desk-worker")
    yield w
    w.shutdown(timeout=10.0)
    assert not w.thread.is_alive()


def test_work_runs_in_order_on_one_thread_and_reports_its_result_or_failure(worker: SerialWorker) -> None:
    ran: list[tuple[int, str]] = []
    futures = [
        worker.submit(lambda i=i: ran.append((i, threading.current_thread().name)) or i) for i in range(50)
    ]
    assert [f.result(timeout=10) for f in futures] == list(range(50))
    assert [i for i, _ in ran] == list(range(50))
    assert {name for _, name in ran} == {"test-desk-worker"}

    def broken() -> None:
        raise ValueError("disk full")

    failed = worker.submit(broken)
    with pytest.raises(ValueError, match="disk full"):
        failed.result(timeout=10)
    assert worker.submit(lambda: "still working").result(timeout=10) == "still working"


def test_work_due_later_runs_after_its_delay_on_the_worker_and_after_earlier_work(
    worker: SerialWorker,
) -> None:
    order: list[str] = []
    done: Future[str] = Future()
    worker.call_later(0.2, lambda: order.append("later") or done.set_result(threading.current_thread().name))
    worker.call_later(0.05, lambda: order.append("sooner"))
    worker.submit(lambda: order.append("now")).result(timeout=10)
    assert order == ["now"]  # nothing due later ran early
    assert done.result(timeout=10) == "test-desk-worker"
    assert order == ["now", "sooner", "later"]


def test_shutdown_finishes_submitted_work_drops_later_work_and_refuses_more() -> None:
    worker = SerialWorker("test-desk-worker")
    gate = threading.Event()
    dropped: list[str] = []
    worker.submit(gate.wait)
    saved = worker.submit(lambda: "saved")
    worker.call_later(0.01, lambda: dropped.append("late"))
    stopper = threading.Thread(target=worker.shutdown)
    stopper.start()
    gate.set()
    stopper.join(timeout=10)
    assert saved.result(timeout=0) == "saved"
    assert not worker.thread.is_alive() and dropped == []
    with pytest.raises(RuntimeError):
        worker.submit(lambda: None)


def test_a_worker_that_was_never_used_starts_no_thread() -> None:
    worker = SerialWorker("test-desk-worker")
    worker.shutdown()
    assert worker.thread.ident is None


def _device(name: str, default: bool = False) -> InputDevice:
    return InputDevice(
        name=name, channels=2, default_rate=48000.0, host_api="ALSA", is_default=default, index=0
    )


def test_one_stereo_device_carries_both_sides_agent_left_unless_swapped() -> None:
    (left,) = pick_inputs(DeskConfig(stereo_device="USB interface", agent_device="ignored"), lambda: [])
    assert left.device == "USB interface"
    assert left.channel_map.routes == ((Channel.AGENT, 0), (Channel.CUSTOMER, 1))
    (swapped,) = pick_inputs(DeskConfig(stereo_device="USB interface", stereo_agent_left=False), lambda: [])
    assert swapped.channel_map.routes == ((Channel.AGENT, 1), (Channel.CUSTOMER, 0))


def test_the_agents_and_the_customers_devices_feed_their_own_sides() -> None:
    config = DeskConfig(
        agent_device="Headset", customer_device="pulse", customer_pulse_source="softphone.monitor"
    )
    agent, customer = pick_inputs(config, lambda: [])
    assert (agent.device, agent.channel_map.routes, agent.pulse_source) == (
        "Headset",
        ((Channel.AGENT, None),),
        None,
    )
    assert (customer.device, customer.channel_map.routes, customer.pulse_source) == (
        "pulse",
        ((Channel.CUSTOMER, None),),
        "softphone.monitor",
    )


def test_without_a_chosen_device_the_default_input_is_the_agents_side() -> None:
    (only,) = pick_inputs(DeskConfig(), lambda: [_device("HDMI"), _device("Built-in mic", default=True)])
    assert only.device == "Built-in mic"
    (first,) = pick_inputs(DeskConfig(), lambda: [_device("USB mic"), _device("Other")])
    assert first.device == "USB mic"


def test_no_device_at_all_is_a_no_device_problem_naming_why() -> None:
    with pytest.raises(NoDevice, match="no input devices"):
        pick_inputs(DeskConfig(), lambda: [])

    def broken() -> list[InputDevice]:
        raise DeviceError("PortAudio library not found")

    with pytest.raises(NoDevice, match="PortAudio"):
        pick_inputs(DeskConfig(), broken)


def test_the_worker_lets_go_of_work_once_it_ran(worker: SerialWorker) -> None:
    """A closure may hold the last reference to a window: it must not live on in the worker thread, which
    would then free the window there (a crash in Qt) when the next work comes."""

    class Window:
        pass

    window = Window()
    gone = weakref.ref(window)
    worker.submit(lambda w=window: None).result(timeout=10)
    del window
    wait_until(lambda: gone() is None, timeout=5.0, what="the worker to drop the finished work")
