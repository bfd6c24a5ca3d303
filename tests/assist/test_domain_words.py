"""The reading-based correction with the product's own word list: it puts misheard support words right and
leaves correct Japanese support text alone (a corpus of real sentences from ../shared/eval, read at run
time)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assist.domain import Customer, KnowledgeEntry
from assist.domain_words import customer_words, domain_words, knowledge_words, support_words
from assist.store import Store
from audio.lexicon import Lexicon, reading_of
from resources import ROOT as RESOURCES
from tests.conftest import EVAL_DIR

JMULTIWOZ = EVAL_DIR / "transcripts" / "ja_jmultiwoz_tc" / "jmultiwoz_dialogues_reconstructed.jsonl"
MAM_FAQ = EVAL_DIR / "kb" / "intune_mam_faq_en_ja" / "mam_faq_ja.jsonl"
USER_HELP = EVAL_DIR / "kb" / "intune_user_help_en_ja" / "intune_user_help_en_ja.jsonl"


def correct_support_sentences(dialogues: int = 45, kb_sentences: int = 200) -> list[str]:
    """Operator and customer lines of the first JMultiWOZ dialogues, and sentences of the Japanese FAQ."""
    sentences: list[str] = []
    with JMULTIWOZ.open(encoding="utf-8") as lines:
        for _, line in zip(range(dialogues), lines, strict=False):
            sentences += [str(turn["text"]) for turn in json.loads(line)["turns"] if turn.get("text")]
    kb: list[str] = []
    for line in MAM_FAQ.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        for text in (item["question"], item["answer"]):
            plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links: keep the words
            kb += [s + "。" for s in plain.split("。") if len(s.strip()) >= 6]
    return sentences + kb[:kb_sentences]


def team_lexicon_words(store: Store) -> list[str | tuple[str, str]]:
    demo = RESOURCES / "demo"
    entries = [
        KnowledgeEntry.from_dict(json.loads(x))
        for x in (demo / "knowledge.jsonl").read_text("utf-8").splitlines()
    ]
    entries += [
        KnowledgeEntry(id=str(item["id"]), title=str(item["title_ja"]), language="ja")
        for item in map(json.loads, USER_HELP.read_text(encoding="utf-8").splitlines())
    ]
    store.upsert_knowledge(entries)
    store.upsert_customers(
        Customer.from_dict(json.loads(x)) for x in (demo / "customers.jsonl").read_text("utf-8").splitlines()
    )
    return domain_words(store)


@pytest.mark.skipif(not JMULTIWOZ.is_file() or not MAM_FAQ.is_file(), reason="no ../shared/eval material")
def test_no_correct_support_sentence_is_changed(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.sqlite3")
    lexicon = Lexicon(team_lexicon_words(store))
    sentences = correct_support_sentences()
    assert len(sentences) >= 400
    changed = [(s, lexicon.correct(s)) for s in sentences if lexicon.correct(s)[1]]
    print(
        f"\nreading-based correction: changed {len(changed)} of {len(sentences)} correct support sentences "
        f"({len(lexicon)} listed words)"
    )
    assert not changed, "\n".join(f"{s} -> {fixed} {[str(c) for c in cs]}" for s, (fixed, cs) in changed)
    store.close()


def test_misheard_support_words_are_put_right_and_keep_what_they_replaced() -> None:
    lexicon = Lexicon(support_words())
    for heard, meant, correction in (
        ("両金について伺えますか", "料金について伺えますか", "両金 -> 料金"),
        ("ご予見をお伺いします", "ご用件をお伺いします", "ご予見 -> ご用件"),
        ("この権でお電話しました", "この件でお電話しました", "この権 -> この件"),
        ("変金をお願いします", "返金をお願いします", "変金 -> 返金"),
        ("医学金はかかりますか", "違約金はかかりますか", "医学金 -> 違約金"),
        ("2重製給されています", "二重請求されています", "2重製給 -> 二重請求"),
        ("ルーダーを再起動してください", "ルーターを再起動してください", "ルーダー -> ルーター"),
        ("タスワードを忘れました", "パスワードを忘れました", "タスワード -> パスワード"),
    ):
        text, corrections = lexicon.correct(heard)
        assert text == meant
        assert [str(c) for c in corrections] == [correction]


def test_the_support_list_covers_general_support_practice_and_no_two_of_its_words_sound_the_same() -> None:
    # banking, delivery, telecom, insurance and account words, misheard as the base model does
    lexicon = Lexicon(support_words())
    for heard, meant in (
        ("請求書の掃除先を変更したい", "請求書の送付先を変更したい"),
        ("通常に気調したら", "通常に記帳したら"),
        ("利用限度学を上げたい", "利用限度額を上げたい"),
        ("通信性限がかかっています", "通信制限がかかっています"),
        ("配送状凶を確認したい", "配送状況を確認したい"),
        ("保険賞券をなくしました", "保険証券をなくしました"),
    ):
        assert lexicon.correct(heard)[0] == meant
    # two listed words with one reading (保証 and 補償) could not be told apart by the correction, and one
    # of them in an utterance's short list made the prompted hearing write it for the other
    readings: dict[str, list[str]] = {}
    for word in support_words():
        reading = reading_of(word) if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", word) else None
        if reading:
            readings.setdefault(reading, []).append(word)
    assert not [words for words in readings.values() if len(words) > 1]


def test_a_real_word_and_a_word_across_a_particle_are_left_alone() -> None:
    lexicon = Lexicon(support_words())
    for text in ("現金で払います", "予見できません", "料金の金額を確認します", "両方の金額です"):
        assert lexicon.correct(text) == (text, ())


def test_the_caller_s_name_comes_first_with_its_kana_as_the_reading(tmp_path: Path) -> None:
    caller = Customer(id="c1", name="東海林 次郎 (Jiro Shoji)", kana="ショウジ ジロウ")
    other = Customer(id="c2", name="庄司 二郎", kana="ショウジ ジロウ")
    store = Store.open(tmp_path / "a.sqlite3")
    store.upsert_customers([other])
    words = domain_words(store, caller)
    assert words[0] == ("東海林次郎", "ショウジジロウ")
    assert customer_words(other)[0] == ("庄司二郎", "ショウジジロウ")
    # the same reading as another customer: the caller wins
    assert Lexicon(words).correct("小路次郎さんですね")[0] == "東海林次郎さんですね"
    store.upsert_knowledge(
        [KnowledgeEntry(id="k", title="光回線の速度が遅い", tags=("光回線",), aliases=("回線速度",))]
    )
    assert {"光回線", "回線速度"} <= {w for w in knowledge_words(store.all_knowledge()) if isinstance(w, str)}
    store.close()


def test_an_utterance_s_short_list_is_the_listed_words_that_sound_like_part_of_it() -> None:
    # a team's long list: the words said come out of it whatever their place
    filler = [f"{w}センター" for w in ("東京", "大阪", "名古屋", "札幌", "福岡", "仙台", "広島", "神戸")]
    lexicon = Lexicon([*filler, *support_words(), "東海林", ("小路", "ショウジ")])
    near = lexicon.near("引き落としの講座を変更したいです")
    assert {"引き落とし", "口座"} <= set(near[:4])  # 講座 sounds as 口座: Whisper may consider it
    assert "料金" not in near and not set(filler) & set(near)
    # heard far from the written word: ルーダー, 2重製給, タスワード
    assert "ルーター" in lexicon.near("ルーダーを再起動していただけますか")
    assert "二重請求" in lexicon.near("先月の両金が2重製給になっているようなんですが")
    assert "パスワード" in lexicon.near("タスワードを忘れました")
    # the caller's name by its kana, at the end of the list
    assert "小路" in lexicon.near("しょうじ様でいらっしゃいますか")
    assert len(lexicon.near("料金の請求書の返金の口座の解約の違約金の引き落としの延滞の割引", limit=5)) == 5
    assert lexicon.near("") == [] and lexicon.near("Wi-Fi") == []
