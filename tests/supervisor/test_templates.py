"""Whisper templates in the data directory: kept across runs, and a broken file never costs the console."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.supervisor.templates import DEFAULT_TEMPLATES, WhisperTemplate, WhisperTemplates


def test_templates_added_in_both_languages_survive_a_restart(agent_assist_home: Path) -> None:
    templates = WhisperTemplates.load()
    assert templates.path == agent_assist_home / "whisper_templates.json"
    templates.add("ja", "  解約理由を  まず伺って ")
    templates.add("en", "Offer the Lite plan")  # a default already: not duplicated
    templates.remove(WhisperTemplate("en", "Use the customer's name"))
    templates.save()

    again = WhisperTemplates.load()
    assert again.problem is None
    assert again.items("ja")[-1] == WhisperTemplate("ja", "解約理由を まず伺って")
    english = [t.text for t in again.items("en")]
    assert english.count("Offer the Lite plan") == 1 and "Use the customer's name" not in english


def test_bad_template_input_is_refused_with_a_reason(tmp_path: Path) -> None:
    templates = WhisperTemplates(tmp_path / "t.json")
    with pytest.raises(ValueError, match="language"):
        templates.add("fr", "Bonjour")
    with pytest.raises(ValueError, match="needs some text"):
        templates.add("en", "   ")
    with pytest.raises(ValueError, match="at most"):
        templates.add("en", "x" * 501)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"templates": {"de": ["Hallo"]}}), "unknown language 'de'"),
        (json.dumps({"templates": {"ja": "まずお詫び"}}), "must be a list of strings"),
        (json.dumps(["a", "b"]), "'templates' object"),
    ],
)
def test_broken_file_keeps_defaults_names_the_file_and_is_kept_aside(
    tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "whisper_templates.json"
    path.write_text(content, encoding="utf-8")
    templates = WhisperTemplates.load(path)
    assert templates.problem is not None and str(path) in templates.problem and says in templates.problem
    assert [t.text for t in templates.items("ja")] == list(DEFAULT_TEMPLATES["ja"])
    assert path.read_text(encoding="utf-8") == content  # nothing overwritten by just opening the console

    templates.add("ja", "折り返しは本日中に")
    templates.save()
    assert (tmp_path / "whisper_templates.json.broken").read_text(encoding="utf-8") == content
    assert "折り返しは本日中に" in [t.text for t in WhisperTemplates.load(path).items("ja")]


def test_a_file_saved_by_excel_style_tools_with_a_bom_reads(tmp_path: Path) -> None:
    path = tmp_path / "whisper_templates.json"
    path.write_text(
        "\ufeff" + json.dumps({"templates": {"ja": ["まずお詫びと要約を"], "en": []}}), encoding="utf-8"
    )
    templates = WhisperTemplates.load(path)
    assert templates.problem is None and [t.text for t in templates.items()] == ["まずお詫びと要約を"]
