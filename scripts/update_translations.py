"""Keep the desktop's Japanese translations in step with the code. The .ts files (Qt Linguist) are the source
of every translation; this script never invents one.

    .venv/bin/python scripts/update_translations.py              # after changing tr() strings
    .venv/bin/python scripts/update_translations.py --set "Find" "検索"
    .venv/bin/python scripts/update_translations.py --check      # what the tests run: nothing written

The default run extracts the tr() strings (pyside6-lupdate, which keeps every translation already in the .ts
and drops strings no longer in the code), compiles the .qm files (pyside6-lrelease) and lists the strings that
still have no Japanese, with the command that adds each. Translate them in Qt Linguist
(``.venv/bin/pyside6-linguist resources/translations/agent_assist_ja.ts``) or with ``--set ENGLISH JAPANESE``,
which writes the translation into every .ts that has that string and compiles again.

Two files: the call screen and the review window share ``resources/translations/agent_assist_ja.ts``; the
supervisor console keeps ``desktop/supervisor/translations/supervisor_ja.ts``. The .ts files carry no source
locations (``-locations none``), so moving code does not change them and rebases do not conflict over line
numbers.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Catalogue:
    """One .ts file and the folders whose tr() strings it holds."""

    ts: Path
    source_dirs: tuple[Path, ...]

    @property
    def qm(self) -> Path:
        return self.ts.with_suffix(".qm")

    def sources(self) -> list[str]:
        return sorted(str(p) for folder in self.source_dirs for p in folder.glob("*.py"))


CATALOGUES = (
    Catalogue(
        ROOT / "resources" / "translations" / "agent_assist_ja.ts",
        tuple(ROOT / d for d in ("desktop", "desktop/agent", "desktop/common", "desktop/review")),
    ),
    Catalogue(
        ROOT / "desktop" / "supervisor" / "translations" / "supervisor_ja.ts",
        (ROOT / "desktop" / "supervisor",),
    ),
)


def extract(catalogue: Catalogue, ts: Path) -> None:
    """Bring ``ts`` in step with the code's tr() strings (translations kept, vanished strings dropped)."""
    ts.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(BIN / "pyside6-lupdate"),
            *catalogue.sources(),
            "-no-obsolete",
            "-locations",
            "none",
            "-ts",
            str(ts),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    tree = ET.parse(ts)
    tree.getroot().set("language", "ja_JP")
    tree.write(ts, encoding="utf-8", xml_declaration=True)


def compile_qm(catalogue: Catalogue) -> None:
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), str(catalogue.ts), "-qm", str(catalogue.qm)],
        check=True,
        capture_output=True,
        text=True,
    )


def untranslated(ts: Path) -> list[str]:
    """Sources in ``ts`` whose Japanese is missing or marked unfinished."""
    missing = []
    for message in ET.parse(ts).getroot().iter("message"):
        translation = message.find("translation")
        text = "" if translation is None else (translation.text or "")
        if translation is not None:
            text += "".join(form.text or "" for form in translation.iter("numerusform"))
        if (
            translation is None
            or translation.get("type") in ("unfinished", "vanished", "obsolete")
            or not text
        ):
            missing.append(message.findtext("source") or "")
    return missing


def set_translation(ts: Path, source: str, japanese: str) -> bool:
    """Write ``japanese`` for ``source`` wherever it appears in ``ts``; False when the string is not there."""
    tree = ET.parse(ts)
    found = False
    for message in tree.getroot().iter("message"):
        if message.findtext("source") != source:
            continue
        found = True
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        translation.attrib.pop("type", None)
        if message.get("numerus") == "yes":  # Japanese has one plural form
            for form in list(translation):
                translation.remove(form)
            ET.SubElement(translation, "numerusform").text = japanese
        else:
            translation.text = japanese
    if found:
        tree.write(ts, encoding="utf-8", xml_declaration=True)
    return found


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def check(catalogues: tuple[Catalogue, ...] = CATALOGUES) -> int:
    """0 when every .ts holds exactly the code's strings, each with its Japanese, and its .qm is compiled from
    it; else 1, after saying what is wrong and what to run."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for catalogue in catalogues:
            name = _name(catalogue.ts)
            if not catalogue.ts.exists():
                problems.append(f"{name} is missing")
                continue
            fresh = Path(tmp) / catalogue.ts.name
            shutil.copyfile(catalogue.ts, fresh)
            extract(catalogue, fresh)
            if _messages(fresh) != _messages(catalogue.ts):
                problems.append(f"{name} is not in step with the tr() strings of the code")
            problems += [f"{name}: no Japanese for {_quote(s)}" for s in untranslated(fresh)]
            compiled = Catalogue(Path(tmp) / catalogue.ts.name, catalogue.source_dirs)
            compile_qm(compiled)
            if not catalogue.qm.exists() or compiled.qm.read_bytes() != catalogue.qm.read_bytes():
                problems.append(f"{_name(catalogue.qm)} is not compiled from its .ts")
    for problem in problems:
        print(problem)
    if problems:
        print(
            "run: .venv/bin/python scripts/update_translations.py (and --set ENGLISH JAPANESE for each one)"
        )
    return 1 if problems else 0


def _messages(ts: Path) -> list[tuple[str, str, str, str]]:
    """What a .ts says, ignoring layout: (context, source, translation, type) for every message."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            text = "" if translation is None else (translation.text or "")
            if translation is not None:
                text += "|".join(form.text or "" for form in translation.iter("numerusform"))
            kind = "" if translation is None else translation.get("type", "")
            out.append((name, message.findtext("source") or "", text, kind))
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when anything is out of step"
    )
    parser.add_argument("--set", nargs=2, metavar=("ENGLISH", "JAPANESE"), help="translate one string")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    for catalogue in CATALOGUES:
        extract(catalogue, catalogue.ts)
    if args.set:
        source, japanese = args.set
        written = [set_translation(c.ts, source, japanese) for c in CATALOGUES]  # every file, not the first
        if not any(written):
            print(f"no tr() string {_quote(source)} in the code", file=sys.stderr)
            return 2
    missing = 0
    for catalogue in CATALOGUES:
        compile_qm(catalogue)
        for source in untranslated(catalogue.ts):
            missing += 1
            print(f"no Japanese yet: scripts/update_translations.py --set {_quote(source)} JAPANESE")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
