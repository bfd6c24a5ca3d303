"""Is masking phone numbers read out in katakana safe? Counts how often the katakana rule of
assist/redaction.py fires on text that holds no phone number, and how many katakana (and mixed) phone numbers
it masks.

* harmless words (tuning: written while the rule was made): loanwords that hold digit readings
  (イチゴ, サンプル, ゴール, ...), alone, in sentences, and in every ordered run of up to three of them
  joined by a space, 「、」, 「・」 or nothing;
* harmless text (reporting, read once): every Japanese line of the evaluation material in ../shared/eval
  (JMultiWOZ dialogues, the Intune help articles, the ReazonSpeech references), split into sentences;
* phone numbers (seeded, generated): 10-11 digits starting with 0 in the forms a recogniser writes when it
  hears digits as words: katakana throughout, katakana then written digits, katakana with hiragana, with
  「の」, 「、」, spaces or nothing between groups, followed by a particle.

    .venv/bin/python -m tests.bench.bench_kana_phones [--numbers 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from assist.redaction import _kana_phones, redact

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"

WORDS = (
    "イチゴ",
    "サンプル",
    "ゴール",
    "ニーズ",
    "ロック",
    "ハチミツ",
    "キュウリ",
    "ナナメ",
    "シーン",
    "ヨーグルト",
    "レイアウト",
    "ゼロックス",
    "ゴルフ",
    "サンダル",
    "ロッカー",
    "ハッピー",
    "イチロー",
    "ニコニコ",
    "シチュー",
    "クッキー",
    "キューブ",
    "レイン",
    "ゼロ円",
    "ゴーグル",
    "サンタ",
    "ニット",
    "ハッカー",
    "ロックダウン",
    "シニア",
    "クイック",
    "ゴシック",
    "サンシャイン",
    "ニッケル",
    "イチバン",
    "ロクロ",
    "ナナカマド",
    "ハチドリ",
    "キュウリョウ",
    "クニ",
    "シナモン",
    "ゴム",
    "サンゴ",
    "ニンジン",
    "イニシャル",
    "ゴーヤ",
    "レイク",
    "ヨンク",
    "ロックンロール",
    "クシ",
    "ハッシュ",
    "シーズン",
    "サンキュー",
    "ニュース",
    "ゴッホ",
    "キューピー",
    "クーポン",
    "シリーズ",
    "レイヤー",
    "ナナ",
    "ゴジラ",
)
SENTENCES = (
    "イチゴとサンプルとゴールの件です",
    "サンキューと言われました",
    "ゼロからやり直したい",
    "レイアウトがゼロックスで崩れます",
    "クーポンのシリアルはまだ届いていません",
    "ニーズに合うサンプルをゴーグルと一緒に",
    "ハッシュタグはサンシャインとレイクです",
    "ゼロ円のプランからイチゴのギフトへ",
)
KANA = {
    "0": ("ゼロ", "レイ"),
    "1": ("イチ",),
    "2": ("ニ", "ニー"),
    "3": ("サン",),
    "4": ("ヨン",),
    "5": ("ゴ", "ゴー"),
    "6": ("ロク",),
    "7": ("ナナ",),
    "8": ("ハチ",),
    "9": ("キュウ", "キュー"),
}
HIRAGANA = dict(
    zip(
        "0123456789",
        ("ぜろ", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう"),
        strict=True,
    )
)
PARTICLES = ("に", "し", "く", "よ", "ご")
PREFIXES = ("090", "080", "070", "050", "03", "06", "045", "0120", "011", "092")


def harmless_words() -> Iterator[str]:
    yield from WORDS
    yield from SENTENCES
    for size in (2, 3):
        for words in itertools.permutations(WORDS, size):
            for joint in (" ", "、", "・", ""):
                yield joint.join(words)


def harmless_text() -> Iterator[str]:
    def sentences(text: str) -> Iterator[str]:
        yield from (s for s in re.split(r"(?<=[。！？\n])", text) if s.strip())

    dialogues = EVAL / "transcripts" / "ja_jmultiwoz_tc" / "jmultiwoz_dialogues_reconstructed.jsonl"
    if dialogues.exists():
        for line in dialogues.read_text(encoding="utf-8").splitlines():
            for turn in json.loads(line)["turns"]:
                yield from sentences(turn["text"])
    help_articles = EVAL / "kb" / "intune_user_help_en_ja" / "intune_user_help_en_ja.jsonl"
    if help_articles.exists():
        for line in help_articles.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            yield from sentences(f"{article.get('title_ja', '')}\n{article.get('body_ja', '')}")
    manifest = EVAL / "audio" / "manifest.jsonl"
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            clip = json.loads(line)
            if clip.get("language") == "ja" and clip.get("reference"):
                yield from sentences(clip["reference"])


def phone_numbers(count: int, seed: int = 7) -> Iterator[tuple[str, str]]:
    """(form, text) pairs."""
    rng = random.Random(seed)
    for n in range(count):
        prefix = rng.choice(PREFIXES)
        rest = 10 - len(prefix) + (1 if prefix.startswith(("090", "080", "070", "050")) else 0)
        digits = prefix + "".join(rng.choice("0123456789") for _ in range(rest))
        groups = [digits[: len(prefix)], digits[len(prefix) : len(prefix) + (len(digits) - len(prefix)) // 2]]
        groups.append(digits[len(prefix) + len(groups[1]) :])
        form = ("katakana", "katakana then digits", "katakana and hiragana")[n % 3]

        def say(group: str, index: int, form: str = form) -> str:
            if form == "katakana then digits" and index > 0:
                return group
            if form == "katakana and hiragana" and index == 2:
                return "".join(HIRAGANA[d] for d in group)
            return "".join(rng.choice(KANA[d]) for d in group)

        joint = rng.choice((" ", "、", "の", "", "ー"))
        said = joint.join(say(g, i) for i, g in enumerate(groups))
        yield form, rng.choice(("{}です", "{}にお願いします", "番号は{}", "えっと{}、はい")).format(said)


def fires(text: str) -> bool:
    return bool(_kana_phones(unicodedata.normalize("NFKC", text)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--numbers", type=int, default=2000)
    args = parser.parse_args()
    words = list(harmless_words())
    word_hits = [w for w in words if fires(w)]
    print(f"harmless words (tuning): {len(word_hits)} of {len(words)} texts fire {word_hits[:5]}")
    text = list(harmless_text())
    text_hits = [t for t in text if fires(t)]
    print(
        f"harmless text (reporting, {EVAL}): {len(text_hits)} of {len(text)} sentences fire {text_hits[:5]}"
    )
    missed: dict[str, list[str]] = {}
    particle: dict[str, int] = {}
    totals: dict[str, int] = {}
    for form, said in phone_numbers(args.numbers):
        totals[form] = totals.get(form, 0) + 1
        masked = redact(said).text
        leftover = re.sub(r"です|にお願いします|番号は|えっと|、はい|\[PHONE\]|[、 ]", "", masked)
        if "[PHONE]" in masked and not leftover:
            continue
        if "[PHONE]" in masked and leftover in PARTICLES:
            # A last digit read as ... に / ご: kept as the particle it can also be (the rule for every form).
            particle[form] = particle.get(form, 0) + 1
        elif "[PHONE]" not in masked or leftover:
            missed.setdefault(form, []).append(f"{said} -> {masked}")
    for form, total in totals.items():
        misses = missed.get(form, [])
        print(
            f"phone numbers, {form}: {total - len(misses)} of {total} masked"
            f" ({particle.get(form, 0)} with a last digit kept as a particle) {misses[:3]}"
        )


if __name__ == "__main__":
    main()
