"""`agent-assist --self-test` works from source and from the PyInstaller build made with build.spec."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _run_self_test(command: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AGENT_ASSIST_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([*command, "--self-test"], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_self_test_from_source(agent_assist_home: Path) -> None:
    result = _run_self_test([sys.executable, "-m", "desktop"], agent_assist_home)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("self-test OK (source)")
    assert "customer support" in line.lower()


@pytest.mark.slow
def test_self_test_passes_with_no_network_at_all(tmp_path: Path) -> None:
    """Pulling the network cable changes nothing: the self-test runs in a network namespace with no
    interfaces."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs unshare and root or user namespaces)")
    fresh_home = tmp_path / "offline-home"
    fresh_home.mkdir()
    result = _run_self_test([unshare, "-n", sys.executable, "-m", "desktop"], fresh_home)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "self-test OK" in result.stdout


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pyinstaller_build_runs_its_self_test(tmp_path: Path, agent_assist_home: Path) -> None:
    pyinstaller = Path(sys.executable).parent / "pyinstaller"
    if not pyinstaller.exists():
        pytest.skip("PyInstaller is not installed (./run setup installs it)")
    dist, work = tmp_path / "dist", tmp_path / "work"
    build = subprocess.run(
        [
            str(pyinstaller),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(ROOT / "build.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr[-5000:]
    app = dist / "agent-assist" / "agent-assist"
    assert app.is_file()
    # A fresh home: the built app must find its own packaged weights, not a cache the tests made.
    fresh_home = tmp_path / "built-home"
    fresh_home.mkdir()
    result = _run_self_test([str(app)], fresh_home)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("self-test OK (built app)")
    assert "(packaged)" in result.stdout
    shutil.rmtree(dist, ignore_errors=True)
