"""The command line contract: real subprocesses of ``agent-assist`` on a real store under
AGENT_ASSIST_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

from .conftest import DATA


def run(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args],
        cwd=ROOT,
        env=dict(os.environ, AGENT_ASSIST_HOME=str(home), **(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_search_suggest_lookup_and_export(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = run(home, "kb", "import", str(DATA / "eval_kb.jsonl"))
    assert done.returncode == 0, done.stderr
    assert "imported 30 knowledge entries" in done.stdout
    assert "indexing meaning: 30/30 entries" in done.stderr  # embedded at import, not on the first call

    customers = tmp_path / "crm.csv"
    customers.write_bytes(
        "id,name,kana,company,phones,email,tags,traits,preferred_language,notes\n"
        "c1,山田 太郎,やまだ たろう,青空商事,090-1234-5678,taro@example.jp,VIP,パソコン操作に不慣れ,ja,"
        "ルーターは先月交換済み\n".encode("cp932")
    )
    done = run(home, "customers", "import", str(customers))
    assert done.returncode == 0 and "read as cp932" in done.stdout, done.stderr

    found = json.loads(run(home, "kb", "search", "えーと解約したいんですけど", "--json").stdout)
    assert found[0]["id"] == "ja-cancel" and found[0]["matched_terms"]

    cards = json.loads(
        run(
            home,
            "suggest",
            "--customer",
            "+81 90 1234 5678",
            "ルーターのランプが赤くてネットがつながらない",
            "--json",
        ).stdout
    )
    assert {c["kind"] for c in cards} >= {"knowledge", "note"}
    assert set(cards[0]) >= {"kind", "id", "title", "score", "matched_terms", "reason"}

    lookup = json.loads(run(home, "customers", "lookup", "09012345678", "--json").stdout)
    assert lookup["status"] == "known" and lookup["customers"][0]["id"] == "c1"
    assert "new caller" in run(home, "customers", "lookup", "03-9999-0000").stdout

    out = tmp_path / "kb-export.csv"
    assert run(home, "kb", "export", str(out)).returncode == 0
    second = tmp_path / "home2"
    assert run(second, "kb", "import", str(out)).returncode == 0
    assert (
        json.loads(run(second, "kb", "search", "password reset", "--json").stdout)[0]["id"] == "en-password"
    )


def test_errors_are_one_clear_line_with_exit_code_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title\nk1,fine\nk2,\n", encoding="utf-8")
    done = run(home, "kb", "import", str(bad))
    assert done.returncode == 2
    assert f"{bad}: row 3, field 'title'" in done.stderr and "nothing imported" in done.stderr
    assert "Traceback" not in done.stderr

    done = run(home, "kb", "import", str(tmp_path / "missing.jsonl"))
    assert done.returncode == 2 and "missing.jsonl" in done.stderr and len(done.stderr.splitlines()) == 1

    done = run(home, "customers", "lookup", "not-a-number")
    assert done.returncode == 2 and "not a phone number" in done.stderr

    done = run(home, "suggest", "--customer", "nobody", "hello")
    assert done.returncode == 2 and "nobody" in done.stderr


def test_suggest_does_not_store_the_question_as_a_call(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "kb", "import", str(DATA / "eval_kb.jsonl"))
    run(home, "suggest", "my card 4111 1111 1111 1111 expired")
    import sqlite3

    conn = sqlite3.connect(home / "agent-assist.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 0
    conn.close()


def test_suggest_holds_back_a_card_resting_on_a_function_word_like_a_live_call(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "kb", "import", str(ROOT / "resources" / "demo" / "knowledge.jsonl")).returncode == 0
    line = "This is the third time I am calling him out it."
    assert json.loads(run(home, "suggest", line, "--json").stdout) == []
    assert run(home, "suggest", line).stdout.strip() == "no match"
    cards = json.loads(run(home, "suggest", "I'm locked out, I forgot my password", "--json").stdout)
    assert cards[0]["title"] == "Reset the account password"


# How every reason begins (same meaning: a concept of the support thesaurus and the phrase of it said).
READABLE_REASONS = (
    "聞き取った言葉: ",
    "意味が近い: ",
    "同じ意味の言葉: ",
    "heard: ",
    "close in meaning to: ",
    "same meaning: ",
)


def test_suggest_json_gives_reasons_in_whole_words_never_fragments(tmp_path: Path) -> None:
    from janome.tokenizer import Tokenizer

    home = tmp_path / "home"
    assert run(home, "kb", "import", str(DATA / "eval_kb.jsonl")).returncode == 0
    tokenizer = Tokenizer()
    lines = [
        "インターネットが切れてしまって、ネットにもつながらないんです",
        "返金の確認をしたいんですけど、電話したほうがいいですか",
        "請求書がまだ届いてないんですけど",
        "この前の払い戻しっていつ口座に入りますか",
        "I forgot my password and can't sign in",
    ]
    for line in lines:
        done = run(home, "suggest", line, "--json")
        assert done.returncode == 0, done.stderr
        cards = json.loads(done.stdout)
        assert cards, line
        tokens = [t for t in tokenizer.tokenize(line.lower())]  # type: ignore[union-attr]
        # Every word of a reason is one or more whole tokens of what was said (or a verb's dictionary form).
        whole = {
            "".join(str(t.surface) for t in tokens[i:j])
            for i in range(len(tokens))
            for j in range(i + 1, len(tokens) + 1)
        } | {str(t.base_form) for t in tokens}
        for card in cards:
            assert {"id", "kind", "title", "score", "reasons"} <= set(card)
            for word in card["matched_terms"]:
                assert len(word) >= 2 and (word in whole or word.replace(" ", "") in whole), (line, word)
            for reason in card["reasons"]:
                assert reason.startswith(READABLE_REASONS)
