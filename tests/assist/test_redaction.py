from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from assist.domain import Customer
from assist.redaction import PiiKind, RedactionPolicy, Redactor, luhn_ok, my_number_ok, redact
from assist.session import CallSession
from assist.store import Store
from audio.events import Channel, EventKind, TranscriptEvent

from .conftest import FakeClock

# (what the customer said, the digits that must never be kept)
CARD_CORPUS = [
    ("カード番号は4111 1111 1111 1111です", "4111111111111111"),
    ("えっと、5500-0000-0000-0004でお願いします", "5500000000000004"),
    ("番号は４２４２４２４２４２４２４２４２です", "4242424242424242"),
    ("よんいちいちいち いちいちいちいち いちいちいちいち いちいちいちいち", "4111111111111111"),
    ("ごーごーぜろぜろ、ぜろぜろぜろぜろ、ぜろぜろぜろぜろ、ぜろぜろぜろよん", "5500000000000004"),
    ("四一一一の一一一一の一一一一の一一一一です", "4111111111111111"),
    ("my card number is 4111 1111 1111 1111", "4111111111111111"),
    ("it's four two four two, four two four two, four two four two, four two four two", "4242424242424242"),
    ("five five oh oh, zero zero zero zero, zero zero zero zero, zero zero zero four", "5500000000000004"),
    ("three seven eight two eight two two four six three one double oh oh five", "378282246310005"),
]


@pytest.mark.parametrize(("said", "digits"), CARD_CORPUS)
def test_card_numbers_written_or_spoken_are_replaced(said: str, digits: str) -> None:
    assert luhn_ok(digits)
    result = redact(said)
    assert PiiKind.CARD in result.kinds
    assert len(re.sub(r"\D", "", result.text)) < 4, result.text


def test_a_card_number_read_over_several_lines_is_caught_after_the_card_is_mentioned() -> None:
    redactor = Redactor()
    lines = ["クレジットカードで払います", "番号は4111 1111", "1111 1111です", "有効期限は12月です"]
    out = [redactor.redact(line).text for line in lines]
    assert "4111" not in out[1] and "1111" not in out[2]
    assert out[3] == "有効期限は12月です"


@pytest.mark.parametrize(
    "said",
    ["セキュリティコードは123です", "裏面の3桁は987", "the security code is four five six", "CVV 7410"],
)
def test_security_codes_in_context_are_replaced(said: str) -> None:
    result = redact(said)
    assert result.kinds == (PiiKind.SECURITY_CODE,), result
    assert not re.search(r"\d{3}", result.text)


def test_my_number_by_check_digit_or_context() -> None:
    valid = "123456789018"
    assert my_number_ok(valid) and not my_number_ok("123456789012")
    assert redact(f"番号は{valid}です").kinds == (PiiKind.MY_NUMBER,)
    assert redact("マイナンバーは123456789012です").kinds == (PiiKind.MY_NUMBER,)


@pytest.mark.parametrize(
    "harmless",
    [
        "5月3日に1500円支払いました",
        "注文番号は12345です",
        "I want to talk to someone for 2 minutes",
        "請求書が二重に届いて、しにくいです",
        "call me back at 10 to 4",
        "it costs 1999 yen",
    ],
)
def test_ordinary_numbers_are_left_alone(harmless: str) -> None:
    assert redact(harmless).text == harmless


def test_emails_and_phones_said_in_a_call_are_masked_unless_the_policy_keeps_them() -> None:
    said = "メールは taro@example.jp 電話は 090-1234-5678 です"
    masked = redact(said)  # what the app stores, shows and relays
    assert masked.text == "メールは [EMAIL] 電話は [PHONE] です"
    assert set(masked.kinds) == {PiiKind.EMAIL, PiiKind.PHONE}
    # A contact field (the server's customer record) keeps them: erasure is how they leave.
    assert redact(said, RedactionPolicy(emails=False, phones=False)).text == said


@pytest.mark.parametrize(
    "said",
    [
        "電話番号は090の1234の5678です",  # how the recogniser writes a number read out with 「の」
        "折り返しは〇九〇、一二三四、五六七八にお願いします",  # kanji numerals
        "ぜろきゅうぜろ、いちにさんよん、ごろくななはちです",
        "0120の123の456までお願いします",  # toll-free, ten digits
        "zero nine zero, one two three four, five six seven eight",
        "my phone is five five five, one two three, four five six seven",
        "you can call me back on 555 123 4567",
    ],
)
def test_a_phone_number_read_out_is_masked_in_whatever_form_the_recogniser_wrote_it(said: str) -> None:
    masked = redact(said)
    assert masked.kinds == (PiiKind.PHONE,) and "[PHONE]" in masked.text
    assert not re.search(r"\d{3}|一二三|いちにさん|one two three|five six seven", masked.text)
    assert redact(said, RedactionPolicy(phones=False)).text == said  # a contact field keeps it


@pytest.mark.parametrize(
    ("said", "masked"),
    [
        ("ゼロキュウゼロ イチニサンヨン ゴロクナナハチです", "[PHONE]です"),
        ("レイサン、ゴーゴーゴーゴー、イチニーサンヨンにお願いします", "[PHONE]にお願いします"),
        ("電話番号はゼロキュウゼロの1234の5678です", "電話番号は[PHONE]です"),  # mixed with digits
        ("ゼロハチゼロ、いちにさんよん、ごろくななはちです", "[PHONE]です"),  # mixed with hiragana
        ("ｾﾞﾛｷｭｳｾﾞﾛｲﾁﾆｻﾝﾖﾝｺﾞﾛｸﾅﾅﾊﾁ", "[PHONE]"),  # half-width
    ],
)
def test_a_phone_number_read_out_in_katakana_is_masked(said: str, masked: str) -> None:
    assert redact(said).text == masked
    assert redact(said, RedactionPolicy(phones=False)).text == said


@pytest.mark.parametrize(
    "harmless",
    [
        "イチゴとサンプルとゴールの件です",
        "ゼロからやり直したい",
        "サンキュー、ニーズに合うサンプルをください",
        "レイアウトがゼロックスで崩れます",
        "イチゴ サンプル ゴール ニット ロック ハチミツ キュウリ ナナメ ゴーヤ サンゴ",
        "ゼロ、イチ、ニのどれかを選んでください",  # a few readings, not a phone number's ten
    ],
)
def test_katakana_words_that_hold_digit_readings_are_left_alone(harmless: str) -> None:
    assert redact(harmless).text == harmless


def test_a_phone_number_after_a_card_number_is_named_a_phone_number() -> None:
    masked = redact("カード番号は4111 1111 1111 1111で、電話は09012345678です")
    assert masked.text == "カード番号は[CARD]で、電話は[PHONE]です"
    # A particle the digit scan could read as 2 stays a particle.
    assert (
        redact("折り返しは〇九〇、一二三四、五六七八にお願いします").text == "折り返しは[PHONE]にお願いします"
    )


def test_a_call_with_card_numbers_leaves_no_trace_in_tables_indexes_logs_or_file(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "store.sqlite3"
    store = Store.open(path)
    store.upsert_customer(Customer(id="c1", name="山田 太郎"))
    session = CallSession(store, "call-1", "c1", "ja", clock=clock)
    for index, (said, _) in enumerate(CARD_CORPUS):
        for kind in (EventKind.PARTIAL, EventKind.FINAL):
            update = session.feed(
                TranscriptEvent("call-1", Channel.CUSTOMER, kind, index, index + 1.0, said, 0.9, f"s{index}")
            )
            assert update.redacted and "[CARD]" in update.event.text
    session.feed(
        TranscriptEvent(
            "call-1", Channel.CUSTOMER, EventKind.FINAL, 20, 21, "セキュリティコードは123です", 0.9, "s-code"
        )
    )
    contact = "折り返しは 080-9876-5432、メールは hanako.k@example.co.jp にお願いします"
    session.feed(
        TranscriptEvent("call-1", Channel.CUSTOMER, EventKind.FINAL, 22, 24, contact, 0.9, "s-contact")
    )
    wrap = session.wrap_up()
    session.save(wrap)
    everything = store.dump_all_text()
    store.close()
    raw = path.read_bytes() + (
        path.with_name(path.name + "-wal").read_bytes()
        if path.with_name(path.name + "-wal").exists()
        else b""
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for _, digits in CARD_CORPUS:
        for where, text in (
            ("tables/FTS", everything),
            ("log", logged),
            ("file", raw.decode("utf-8", "replace")),
        ):
            assert digits not in re.sub(r"[\s\-]", "", text), f"{digits} found in {where}"
            assert digits[:4] + " " + digits[4:8] not in text
    for said in ("9876", "hanako.k"):  # a phone number and an email address said in the call
        assert said not in everything and said not in raw.decode("utf-8", "replace") and said not in logged
    assert "[CARD]" in everything and "[CODE]" in everything
    assert (
        "[EMAIL]" in everything and "[PHONE]" in everything
    )  # a phone number, even right after card numbers
