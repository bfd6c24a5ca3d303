"""``agent-assist transcribe`` / ``devices``: the contract the benchmarks and other engineers rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def agent_assist(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_transcribe_json_prints_partials_finals_and_a_summary(clips: dict[str, Path]) -> None:
    result = agent_assist(
        "transcribe",
        str(clips["call_stereo"]),
        "--language",
        "en",
        "--model",
        "tiny.en",
        "--stereo",
        "agent=left,customer=right",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines[-1]
    assert summary["kind"] == "summary"
    assert (
        12.0 < summary["audio_seconds"] < 13.0 and summary["compute_seconds"] > 0 and summary["max_lag"] >= 0
    )
    events = lines[:-1]
    assert {"kind", "channel", "start", "end", "text", "emitted_at"} <= set(events[0])
    finals = [e for e in events if e["kind"] == "final"]
    assert {e["channel"] for e in finals} == {"agent", "customer"}
    assert "support" in " ".join(e["text"] for e in finals if e["channel"] == "customer").lower()
    assert any(e["kind"] == "partial" for e in events)


@pytest.mark.slow
def test_transcribe_json_marks_the_second_pass_so_a_reader_can_keep_the_latest_line(
    clips: dict[str, Path],
) -> None:
    result = agent_assist(
        "transcribe", str(clips["turn"]), "--language", "en", "--model", "tiny.en", "--mono", "--json"
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary, events = lines[-1], [e for e in lines[:-1] if e["kind"] == "final"]
    revised = [e for e in events if e.get("revised")]
    first_pass = [e for e in events if not e.get("revised")]
    # on this turn the whole-turn decode reads differently from the sentences ("order number" vs "humber")
    assert summary["turns_revised"] == 1 and len(first_pass) >= 2
    assert [e["segment_id"] for e in revised] == [e["segment_id"] for e in first_pass]
    assert revised[0]["text"] and all(e["text"] == "" for e in revised[1:])
    assert all(e["merged_into"] == revised[0]["segment_id"] for e in revised[1:])
    assert (revised[0]["start"], revised[0]["end"]) == (first_pass[0]["start"], first_pass[-1]["end"])
    latest = {e["segment_id"]: e["text"] for e in events}
    assert [t for t in latest.values() if t] == [revised[0]["text"]]


@pytest.mark.slow
def test_transcribe_prints_a_readable_transcript_by_default(clips: dict[str, Path]) -> None:
    result = agent_assist(
        "transcribe", str(clips["customer"]), "--language", "en", "--model", "tiny.en", "--mono"
    )
    assert result.returncode == 0, result.stderr
    assert "Customer: Thank you for calling customer support" in result.stdout


def test_a_missing_file_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.wav"
    result = agent_assist("transcribe", str(missing), timeout=60)
    assert result.returncode == 2
    assert (
        result.stderr.strip().count("\n") == 0
        and str(missing) in result.stderr
        and "not found" in result.stderr
    )


def test_an_unreadable_file_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio")
    result = agent_assist("transcribe", str(bad), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and str(bad) in result.stderr


def test_a_bad_channel_mapping_is_explained(clips: dict[str, Path]) -> None:
    result = agent_assist("transcribe", str(clips["call_stereo"]), "--stereo", "agent=up", timeout=60)
    assert result.returncode == 2 and "left or right" in result.stderr


def test_devices_lists_input_devices_by_name() -> None:
    result = agent_assist("devices", "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert json.loads(line)["name"]
