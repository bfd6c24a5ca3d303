"""``agent-assist review ...`` as a lead or a script uses it, against the store in AGENT_ASSIST_HOME."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assist import paths
from assist.exports import read_srt
from assist.store import Store
from desktop.cli import main
from tests.conftest import ROOT
from tests.review.conftest import TANAKA_SECRET


def test_search_json_and_text(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "search", "請求書", "--json", "--kind", "transcript"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [h["marked"] for h in data["hits"]] == ["えーと、先月の[請求書]がまだ届いていないんですけど"]
    assert main(["review", "search", "cancel", "--customer", "cust-smith"]) == 0
    out = capsys.readouterr().out
    assert "[cancelled]" in out and "call-en-1" in out


def test_export_formats_to_files_and_stdout(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "call.srt"
    assert main(["review", "export", "call-ja-1", "--format", "srt", "-o", str(target)]) == 0
    lines = read_srt(target.read_text(encoding="utf-8"))
    assert [x.text for x in lines][3].startswith("去年" + TANAKA_SECRET)
    assert main(["review", "export", "call-ja-1", "--format", "txt", "--labels", "ja"]) == 0
    assert "お客様: えーと、先月の請求書" in capsys.readouterr().out


def test_calls_csv_and_archive(store: Store, tmp_path: Path) -> None:
    assert main(["review", "calls-csv", str(tmp_path / "calls.csv"), "--language", "ja"]) == 0
    with (tmp_path / "calls.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert [r["call_id"] for r in csv.DictReader(fh)] == ["call-ja-2", "call-ja-1"]
    assert main(["review", "customer-archive", "cust-tanaka", str(tmp_path / "t.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "t.zip") as zf:
        assert "customer.json" in zf.namelist()


def test_delete_customer_needs_yes(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "delete-customer", "cust-tanaka"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert store.get_customer("cust-tanaka") is not None
    assert main(["review", "delete-customer", "cust-tanaka", "--yes", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["call_ids"] == ["call-ja-1", "call-ja-2"]
    assert store.get_customer("cust-tanaka") is None
    assert main(["review", "delete-customer", "cust-tanaka", "--yes"]) == 2
    assert "no customer with id 'cust-tanaka'" in capsys.readouterr().err


def test_insights_and_retention(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["review", "insights", "--by", "disposition", "--json", "--csv", str(tmp_path / "i.csv")]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["frustration"] == {"calls": 3, "calls_with_cues": 1, "share": 0.333}
    assert (tmp_path / "i.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["review", "retention", "--transcripts", "redact"]) == 2
    assert "needs --transcript-days" in capsys.readouterr().err
    assert main(["review", "retention", "--days", "0", "--save", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["recordings_deleted"]) == 6
    assert not any(paths.recordings_dir().iterdir())
    assert main(["review", "search", "x", "--since", "yesterday"]) == 2
    assert "--since: not a date" in capsys.readouterr().err


def test_entry_point_in_a_fresh_process(store: Store) -> None:
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "desktop.cli", "review", "calls", "--json", "--tag", "解約"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert [c["id"] for c in json.loads(proc.stdout)] == ["call-ja-2"]


def test_insights_print_each_agents_conversation(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    from assist.dynamics import measure_call

    for call_id, language in (("call-ja-1", "ja"), ("call-ja-2", "ja"), ("call-en-1", "en")):
        measure_call(store, call_id, language)
    assert main(["review", "insights"]) == 0
    out = capsys.readouterr().out
    assert "conversation per agent" in out
    # suzuki's Japanese call: two 2.5 s lines each, so half of the talking.
    assert any(
        line.split()[:4] == ["suzuki", "1", "calls", "50%"] and "morae/s" in line for line in out.splitlines()
    )


def test_delete_customer_fails_loudly_while_another_program_reads_the_database(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    from assist import paths

    reader = sqlite3.connect(paths.store_path())
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM customers").fetchone()  # holds its snapshot, as an open app may
        assert main(["review", "delete-customer", "cust-tanaka", "--yes"]) == 2
        out, err = capsys.readouterr()
        assert not out.startswith("erased") and "NOT yet erased" in out
        assert "NOT fully erased" in err and "holds the database open" in err
    finally:
        reader.close()
    assert store.get_customer("cust-tanaka") is None  # the rows are gone; the file catches up once it is free
