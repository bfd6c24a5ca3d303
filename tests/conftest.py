"""Shared test setup: an isolated data directory for every test, Qt offscreen, and a real PulseAudio daemon
with two null sinks (agent, customer) for the tests that go through a real audio device."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT.parent / "shared" / "eval"
SELFTEST_WAV = ROOT / "resources" / "selftest" / "selftest_en.wav"


@pytest.fixture(autouse=True)
def agent_assist_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data directory; the joined base model is shared through a session cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AGENT_ASSIST_HOME", str(home))
    shared_models = _shared_model_cache(tmp_path_factory)
    (home / "models").symlink_to(shared_models, target_is_directory=True)
    return home


_MODEL_CACHE: Path | None = None


def _shared_model_cache(factory: pytest.TempPathFactory) -> Path:
    global _MODEL_CACHE
    if _MODEL_CACHE is None:
        _MODEL_CACHE = factory.getbasetemp() / "shared-models"
        _MODEL_CACHE.mkdir(exist_ok=True)
    return _MODEL_CACHE


@pytest.fixture(scope="session")
def pulseaudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon with null sinks ``agent`` and ``customer`` (monitors capture what is
    played).

    Yields the environment a child process (or this one) needs to reach it. Skips when PulseAudio is not
    installed; ``./run test`` installs it, so CI never skips.
    """
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        pytest.skip("PulseAudio is not installed (./run setup installs it)")
    runtime = tmp_path_factory.mktemp("pulse")
    env = dict(os.environ)
    env.update(
        {"XDG_RUNTIME_DIR": str(runtime), "PULSE_RUNTIME_PATH": str(runtime / "pulse"), "HOME": str(runtime)}
    )
    log_path = runtime / "pulseaudio.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - a file, not a pipe nobody drains; closed at teardown
    proc = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "--disallow-exit",
            "--use-pid-file=no",
            "--system=false",
            "--load=module-native-protocol-unix",
            "--load=module-null-sink sink_name=customer rate=48000",
            "--load=module-null-sink sink_name=agent rate=48000",
            "--load=module-always-sink",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    deadline = time.monotonic() + 20
    while True:
        ready = subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0
        if ready:
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log_file.close()
            pytest.fail(f"PulseAudio did not start: {log_path.read_text(errors='replace')[-2000:]}")
        time.sleep(0.05)
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")}
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]
    os.environ["PULSE_RUNTIME_PATH"] = env["PULSE_RUNTIME_PATH"]
    try:
        yield {k: env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH")}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()


# -- every test stops what it started, and Qt objects die on the main thread
# ------------------------------------

# Threads that live for the whole process by design (a library's monitor), not started by a test.
PROCESS_THREADS = ("tqdm_monitor",)
THREAD_GRACE_S = 3.0  # a stopped thread may need a moment to return after its owner's stop()


def pytest_configure(config: pytest.Config) -> None:
    # As in the app (desktop.common.lifetime): the cyclic collector never runs on a worker thread, where it
    # would destroy a window or app object of an earlier test on that thread (a segfault in Qt's event loop).
    # Each test's garbage is collected on the main thread after the test (below).
    gc.disable()


@pytest.fixture(autouse=True)
def stops_what_it_started(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a test that leaves a thread running after its teardown (named, with where it is stuck); then
    destroys the test's Qt objects on the main thread: widgets pytest-qt closed (deleteLater is not run
    outside an event loop) and anything only garbage collection frees."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = []
    for thread in threading.enumerate():
        if thread in before or thread.name in PROCESS_THREADS or isinstance(thread, threading._DummyThread):
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            leaked.append(thread)
    _destroy_qt_leftovers()
    if leaked:
        frames = sys._current_frames()
        where = [
            f"{t.name}:\n" + "".join(traceback.format_stack(frames[t.ident])[-3:])
            for t in leaked
            if t.ident in frames
        ]
        pytest.fail(
            f"{len(leaked)} thread(s) still running after the test: {[t.name for t in leaked]}\n"
            + "\n".join(where),
            pytrace=False,
        )


def _destroy_qt_leftovers() -> None:
    qt_core = sys.modules.get("PySide6.QtCore")
    if qt_core is None or qt_core.QCoreApplication.instance() is None:
        gc.collect()
        return
    flush = qt_core.QCoreApplication.sendPostedEvents
    flush(None, qt_core.QEvent.Type.DeferredDelete)
    gc.collect()
    flush(None, qt_core.QEvent.Type.DeferredDelete)
