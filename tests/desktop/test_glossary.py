"""One term per concept (docs/glossary.md) in every window: no English source string and no Japanese
translation of the call screen, the review window or the supervisor console uses a word the glossary says not
to use."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import ROOT

GLOSSARY = ROOT / "docs" / "glossary.md"
TRANSLATIONS = (
    ROOT / "resources" / "translations" / "agent_assist_ja.ts",
    ROOT / "desktop" / "supervisor" / "translations" / "supervisor_ja.ts",
)


def avoided() -> tuple[set[str], set[str]]:
    english: set[str] = set()
    japanese: set[str] = set()
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("concept", "---"):
            continue
        english.update(w.strip() for w in cells[3].split(",") if w.strip())
        japanese.update(w.strip() for w in cells[4].split(",") if w.strip())
    return english, japanese


def messages(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for message in ET.parse(path).getroot().iter("message"):
        translation = message.find("translation")
        text = "".join(translation.itertext()) if translation is not None else ""
        pairs.append((message.findtext("source") or "", text))
    return pairs


def test_the_glossary_names_words_to_avoid_in_both_languages() -> None:
    english, japanese = avoided()
    assert {"operator", "SV"} <= english and {"エージェント", "ウィスパー", "SV"} <= japanese


def test_no_window_uses_a_word_the_glossary_avoids() -> None:
    english, japanese = avoided()
    found = []
    for path in TRANSLATIONS:
        for source, translation in messages(path):
            for word in english:
                if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", source, re.IGNORECASE):
                    found.append((path.name, word, source))
            for word in japanese:
                if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", translation):
                    found.append((path.name, word, translation))
    assert not found, found
