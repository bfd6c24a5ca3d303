"""`agent-assist-server`: user management and a real server process that stops cleanly on signals."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

SERVER = [sys.executable, "-m", "sync.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SERVER, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_user_add_prints_the_token_once_list_and_revoke(tmp_path: Path) -> None:
    data = str(tmp_path / "srv")
    added = _run("user", "add", "佐藤", "--role", "agent", "--team", "tokyo", "--data", data)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert len(token) >= 40
    assert token not in (tmp_path / "srv" / "team.sqlite3").read_bytes().decode("latin-1")

    again = _run("user", "add", "佐藤", "--role", "agent", "--team", "tokyo", "--data", data)
    assert again.returncode == 1 and "already exists" in again.stderr

    bad_role = _run("user", "add", "x", "--role", "boss", "--team", "tokyo", "--data", data)
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr

    listed = _run("user", "list", "--data", data)
    assert re.search(r"佐藤\s+agent\s+tokyo\s+active", listed.stdout), listed.stdout
    assert token not in listed.stdout

    assert _run("user", "revoke", "佐藤", "--data", data).returncode == 0
    assert re.search(r"佐藤\s+agent\s+tokyo\s+revoked", _run("user", "list", "--data", data).stdout)
    missing = _run("user", "revoke", "nobody", "--data", data)
    assert missing.returncode == 1 and "nobody" in missing.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_health_and_stops_cleanly_on_signal(tmp_path: Path, signum: int) -> None:
    proc = subprocess.Popen(
        [*SERVER, "serve", "--port", "0", "--data", str(tmp_path / "srv")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
        assert match, f"no listening line: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        with urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/health", timeout=5) as response:
            assert json.loads(response.read())["status"] == "ok"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_serve_with_a_missing_certificate_names_the_file(tmp_path: Path) -> None:
    result = _run("serve", "--port", "0", "--data", str(tmp_path / "srv"),
                  "--tls-cert", str(tmp_path / "nope.pem"),
                  "--tls-key", str(tmp_path / "nope.key"))  # fmt: skip
    assert result.returncode == 2
    assert "nope.pem" in result.stderr
