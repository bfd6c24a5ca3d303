"""Japanese support sentences over the telephone band: our pipeline (beam, second pass, non-speech guard,
domain lexicon with the team's knowledge base) next to plain offline faster-whisper on the same weights.

    ./run bench-hearing [--half both]

The sentences are this file's own (80 + 48 support-call lines, each with the support terms it contains),
spoken by Open JTalk (``pyopenjtalk-plus``, which carries its dictionary and voice in its wheel, in its own
environment ``.venv-tts`` that ``./run bench-hearing`` makes from tests/bench/tts-requirements.txt; or pass
``--tts-python`` / set AGENT_ASSIST_TTS_PYTHON to any Python that has it), kept in :data:`TTS_CACHE` by
text, and sent through an 8 kHz mu-law round trip. 64 are the **tuning** half (the first 16 of
:data:`SENTENCES` and the 48 of :data:`TUNING_MORE`, added in round 7 because 16 were too few to predict the
other half; anything decided by measurement, such as whether biasing prompts are safe and which, looks only
at them; the prompt's harm on real recordings and non-speech is measured by bench_guard.py); the last 16 of
:data:`SENTENCES` are the **reporting** half, whose figures are the ones quoted (its sentence-by-sentence
texts are printed only with ``--show-sentences``). :data:`FRESH` (24 more, ``--half fresh``) were written in
round 10 by someone who had not read the reporting half, :data:`TUNING_MORE` or the support word lists (only
the first ten tuning sentences, seen by accident), to measure on wording nobody tuned for: never used for any
decision, measured and printed like the reporting half (texts only with
``--show-sentences``; ``--half both`` leaves them out). :data:`FRESH_MORE` (24 more, round 10) were written
the same way by a second engineer who had read neither the lines above nor the support word lists;
``--half fresh`` measures FRESH and FRESH_MORE together and prints, below the combined figures, each batch's
CER and support-term recall on one line each (so FRESH's figure stays comparable). ``--half held-apart``
pools every sentence never tuned on (the reporting half, FRESH and FRESH_MORE: 64) into one figure, with each
batch's line below; its call is the reporting half's. Printed, for each half:

- sentence by sentence (each clip alone): CER of the kept transcript and support-term recall, ours against
  offline faster-whisper (beam 5, whole clip), also ours without the lexicon;
- a two-channel telephone call in real time (agent and customer lines alternating): each channel's CER
  against offline faster-whisper on the same clips, final latency p50/p95, CPU of this process (its CPU
  time over wall time and cores; tests/bench/cpu_meter.py) beside the whole machine's and the load average,
  and CPU seconds by thread (``--call-only`` runs only the call); the call is made of the half's first 16
  sentences (``--call-first``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from assist.domain import Customer, KnowledgeEntry
from assist.domain_words import biasing_hotwords, biasing_prompt, domain_words
from assist.store import Store
from audio.events import Channel, TranscriptEvent
from audio.live import LiveTranscription, SharedModel
from audio.source import SAMPLE_RATE, ChannelMap, FileSource
from resources import ROOT as RESOURCES
from tests.bench.bench_transcription import (
    Clip,
    error_rate,
    latency_figures,
    lay_out_call,
    streamed_text,
    telephone,
    tokens,
    transcript,
)
from tests.bench.cpu_meter import CpuMeter

EVAL_KB = Path(__file__).resolve().parents[3] / "shared" / "eval" / "kb"

# (sentence, support terms it contains, who says it)
SENTENCES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # tuning half
    ("先月の料金が二重請求になっているようなんですが。", ("料金", "二重請求"), "customer"),
    ("ご用件をお伺いしてもよろしいでしょうか。", ("ご用件",), "agent"),
    ("解約する場合、違約金はかかりますか。", ("解約", "違約金"), "customer"),
    ("ルーターを再起動していただけますか。", ("ルーター", "再起動"), "agent"),
    ("返金は五営業日ほどでお客様の口座に入ります。", ("返金", "口座"), "agent"),
    ("この件につきましては担当者から折り返しご連絡いたします。", ("この件", "担当者", "折り返し"), "agent"),
    ("お客様番号を教えていただけますでしょうか。", ("お客様番号",), "agent"),
    ("請求書の送付先を変更したいのですが。", ("請求書",), "customer"),
    ("毎晩インターネットの接続が切れてしまいます。", ("毎晩", "接続"), "customer"),
    ("パスワードを忘れてログインできません。", ("パスワード", "ログイン"), "customer"),
    ("料金プランの変更は来月から適用されます。", ("料金プラン",), "agent"),
    ("引き落としの口座を変更したいです。", ("引き落とし", "口座"), "customer"),
    ("本人確認のため、生年月日をお願いいたします。", ("本人確認", "生年月日"), "agent"),
    ("注文番号は分かりますでしょうか。", ("注文番号",), "agent"),
    ("初期不良の場合は無料で交換いたします。", ("初期不良", "交換"), "agent"),
    ("キャンセル料は発生いたしません。", ("キャンセル料",), "agent"),
    # reporting half
    ("機種変更の手続きをお願いしたいのですが。", ("機種変更",), "customer"),
    ("修理の見積もりをお送りいたします。", ("修理", "見積もり"), "agent"),
    ("領収書を再発行していただけますか。", ("領収書",), "customer"),
    ("配送の状況を確認いたしますので、少々お待ちください。", ("配送",), "agent"),
    ("明細書に覚えのない手数料が載っています。", ("明細書", "手数料"), "customer"),
    ("アカウントが一時的にロックされています。", ("アカウント",), "agent"),
    ("契約の更新月は十二月でございます。", ("契約", "更新"), "agent"),
    ("故障の症状を詳しく教えていただけますか。", ("故障",), "agent"),
    ("延滞している分のお支払いをお願いいたします。", ("延滞", "お支払い"), "agent"),
    ("名義変更には書類の提出が必要です。", ("名義変更",), "agent"),
    ("モデムのランプが赤く点滅しています。", ("モデム",), "customer"),
    ("割引が適用されていないようなのですが。", ("割引",), "customer"),
    ("二段階認証の設定をお願いします。", ("二段階認証", "設定"), "customer"),
    ("返品の送料はこちらで負担いたします。", ("返品", "送料"), "agent"),
    ("住所変更のお手続きを承りました。", ("住所変更",), "agent"),
    ("障害の復旧には少しお時間をいただいております。", ("障害",), "agent"),
)
TUNING_MORE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # more of the tuning half (round 7), written afresh from general knowledge of phone support: billing,
    # contracts, devices and lines, delivery, accounts, identity checks, banking, apologies and hold
    ("今月の請求額が先月より高くなっているのですが。", ("請求額",), "customer"),
    (
        "お支払い方法を口座振替からクレジットカードに変更できますか。",
        ("口座振替", "クレジットカード"),
        "customer",
    ),
    ("基本料金に加えて、通話料が別途かかります。", ("基本料金", "通話料"), "agent"),
    ("日割りの料金は次回の請求に含まれます。", ("日割り", "請求"), "agent"),
    ("支払期限を過ぎてしまったのですが、どうすればいいですか。", ("支払期限",), "customer"),
    ("未払いの残高がございますので、ご確認をお願いいたします。", ("未払い", "残高"), "agent"),
    ("ポイントで月額料金を支払うことはできますか。", ("ポイント", "月額料金"), "customer"),
    ("分割払いの残りを一括払いにしたいんです。", ("分割払い", "一括払い"), "customer"),
    ("契約期間の途中で解約されますと、解約金が発生いたします。", ("契約期間", "解約金"), "agent"),
    ("今の契約内容を確認させていただきます。", ("契約内容",), "agent"),
    ("家族割のオプションを追加したいのですが。", ("家族割", "オプション"), "customer"),
    ("乗り換えの場合、番号はそのままお使いいただけます。", ("乗り換え",), "agent"),
    ("スマートフォンの画面が急に映らなくなりました。", ("スマートフォン", "画面"), "customer"),
    ("光回線の開通工事の日程を決めたいです。", ("光回線", "開通工事"), "customer"),
    ("通信速度が夜になると極端に遅くなります。", ("通信速度",), "customer"),
    ("電源ケーブルを一度抜いて、三十秒ほどお待ちください。", ("電源ケーブル",), "agent"),
    ("接続機器の台数が多いと速度が落ちることがございます。", ("接続機器", "速度"), "agent"),
    ("端末の初期化を行うと、データはすべて消えてしまいます。", ("端末", "初期化"), "agent"),
    ("アプリを最新のバージョンにアップデートしてください。", ("アプリ", "アップデート"), "agent"),
    ("自宅の中で電波が弱く、圏外になることがあります。", ("電波", "圏外"), "customer"),
    ("追跡番号を入力しても、荷物の情報が出てきません。", ("追跡番号", "荷物"), "customer"),
    ("不在票が入っていたので、再配達をお願いしたいです。", ("不在票", "再配達"), "customer"),
    ("お届け先の住所に誤りがないかご確認ください。", ("お届け先", "住所"), "agent"),
    ("配達日時の指定は午前中と夜間からお選びいただけます。", ("配達日時",), "agent"),
    ("届いた商品の箱が破損していました。", ("商品", "破損"), "customer"),
    ("集荷の時間は明日の午後二時から四時でよろしいでしょうか。", ("集荷",), "agent"),
    ("発送予定日は今週の金曜日となっております。", ("発送予定日",), "agent"),
    ("在庫が切れておりまして、納期は二週間ほどかかります。", ("在庫", "納期"), "agent"),
    ("認証コードがメールに届かないんですが。", ("認証コード", "メール"), "customer"),
    ("ユーザー名とパスワードを再設定する手順をご案内いたします。", ("ユーザー名", "再設定"), "agent"),
    (
        "会員登録の際に登録されたメールアドレスを教えていただけますか。",
        ("会員登録", "メールアドレス"),
        "agent",
    ),
    ("退会すると、貯まっているポイントは失効いたします。", ("退会", "ポイント", "失効"), "agent"),
    ("不正なログインの可能性がありますので、念のため確認いたします。", ("不正", "ログイン"), "agent"),
    ("ご契約者様ご本人でいらっしゃいますか。", ("契約者",), "agent"),
    ("本人確認書類として運転免許証をお持ちでしょうか。", ("本人確認書類", "運転免許証"), "agent"),
    ("ご登録のお電話番号の下四桁をお願いいたします。", ("電話番号",), "agent"),
    ("暗証番号を三回間違えてしまいました。", ("暗証番号",), "customer"),
    (
        "キャッシュカードを紛失してしまったので、利用を止めてください。",
        ("キャッシュカード", "紛失"),
        "customer",
    ),
    ("振込先の口座番号を間違えて送金してしまいました。", ("振込先", "口座番号", "送金"), "customer"),
    ("通帳に記帳したら、入金が反映されていませんでした。", ("通帳", "入金"), "customer"),
    ("ご迷惑をおかけしてしまい、大変申し訳ございません。", ("ご迷惑",), "agent"),
    ("確認いたしますので、このまま保留にさせていただきます。", ("保留",), "agent"),
    ("大変恐れ入りますが、もう一度お名前をお伺いできますか。", ("お名前",), "agent"),
    ("担当部署におつなぎいたしますので、そのままお待ちください。", ("担当部署",), "agent"),
    ("保証期間内でしたら無償で対応いたします。", ("保証期間", "無償"), "agent"),
    ("お申し込みの内容に不備がございましたので、お電話いたしました。", ("お申し込み", "不備"), "agent"),
    ("受付番号をお控えいただけますでしょうか。", ("受付番号",), "agent"),
    ("先ほど電話した者ですが、まだ折り返しの連絡がありません。", ("折り返し",), "customer"),
)
# Written in round 10 by someone who had not read the reporting half, TUNING_MORE or the support word
# lists (only SENTENCES' first ten, seen by accident); banking, insurance, deliveries, lines, accounts,
# billing; never used for tuning, measured like the reporting half (``--half fresh``), texts printed only
# with ``--show-sentences``.
FRESH: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("保険の満期が近いので、更新の手続きを確認したいです。", ("保険", "満期", "更新"), "customer"),
    ("証券番号はお手元の保険証券の右上に記載されております。", ("証券番号", "保険証券"), "agent"),
    ("キャッシュカードを紛失したので、利用を止めてください。", ("キャッシュカード", "紛失"), "customer"),
    ("振込手数料が引かれていた理由を教えてもらえますか。", ("振込手数料",), "customer"),
    ("ご本人確認のため、生年月日をお願いいたします。", ("本人確認", "生年月日"), "agent"),
    ("光回線の工事日を来週の土曜日に変えられますか。", ("光回線", "工事日"), "customer"),
    ("モデムの電源ランプが消えたままになっています。", ("モデム", "電源ランプ"), "customer"),
    ("通信速度が遅くなるのは、夜の何時頃でしょうか。", ("通信速度",), "agent"),
    ("宅配ボックスに入れてもらうよう指定できますか。", ("宅配ボックス", "指定"), "customer"),
    ("再配達の受付は、伝票番号があればお電話でも承ります。", ("再配達", "伝票番号"), "agent"),
    ("着払いで送り返していただければ、こちらで交換いたします。", ("着払い", "交換"), "agent"),
    ("届いた商品の色が注文と違っていたんですが。", ("商品", "注文"), "customer"),
    ("年会費の引き落としはいつになりますか。", ("年会費", "引き落とし"), "customer"),
    ("未納分がございますので、コンビニでお支払いいただけます。", ("未納", "コンビニ"), "agent"),
    ("分割払いの回数を途中から変更することはできますか。", ("分割払い", "回数", "変更"), "customer"),
    ("契約者の名義を父から私に変えたいんですけど。", ("契約者", "名義"), "customer"),
    ("更新月以外のご解約ですと、手数料が発生いたします。", ("更新月", "解約", "手数料"), "agent"),
    ("二段階認証のコードがスマホに届かないんです。", ("二段階認証", "コード"), "customer"),
    ("登録のメールアドレスを、新しいものに変更しておきますね。", ("メールアドレス", "変更"), "agent"),
    ("自動車保険の事故受付は二十四時間対応しております。", ("自動車保険", "事故受付"), "agent"),
    ("車両保険を付けると、保険料はいくら上がりますか。", ("車両保険", "保険料"), "customer"),
    ("定期預金を満期前に解約すると、利息はどうなりますか。", ("定期預金", "満期", "利息"), "customer"),
    ("お振込の明細は、ネットバンキングの画面からご確認いただけます。", ("明細", "ネットバンキング"), "agent"),
    ("ただいま回線が大変混み合っており、お待たせして申し訳ございません。", ("回線",), "agent"),
)
# Written in round 10 by a second engineer who had read neither the lines above nor the support word lists;
# electricity, gas and water, mobile phones, subscriptions, travel bookings, e-commerce, banking, insurance,
# clinics; never used for tuning, measured with FRESH (``--half fresh``), texts printed only with
# ``--show-sentences``.
FRESH_MORE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("先月の電気料金が急に倍くらいになってて驚いたんですけど", ("電気料金",), "customer"),
    ("検針票に記載されているお客様番号を教えていただけますか", ("検針票", "お客様番号"), "agent"),
    ("ガスの開栓の立ち会いって、土曜日でもお願いできますか", ("開栓", "立ち会い"), "customer"),
    ("水道の使用開始のお手続きは、インターネットからも承っております", ("水道", "使用開始"), "agent"),
    ("機種変更したら、前のスマホのデータが移せなくなっちゃって", ("機種変更", "データ"), "customer"),
    ("端末の再起動をお試しいただいて、それでも圏外のままでしょうか", ("端末", "再起動", "圏外"), "agent"),
    ("海外に行くんですけど、ローミングの料金ってどれくらいかかりますか", ("ローミング", "料金"), "customer"),
    ("動画配信のサブスクを、無料期間のうちに解約したいんです", ("サブスク", "無料期間", "解約"), "customer"),
    ("自動更新を停止されますと、次回の請求は発生いたしません", ("自動更新", "請求"), "agent"),
    ("予約したホテルの宿泊日を、一日後ろにずらせますか", ("ホテル", "宿泊日"), "customer"),
    ("キャンセル料は、前日ですと宿泊料金の半額を頂戴しております", ("キャンセル料", "宿泊料金"), "agent"),
    ("航空券のスペルを間違えて入れちゃいました", ("航空券", "スペル"), "customer"),
    ("注文確定のあとでも、配送先の住所って変更できますか", ("注文確定", "配送先"), "customer"),
    ("ご注文番号をお調べしますので、少々お待ちいただけますか", ("注文番号",), "agent"),
    ("ネットバンキングの振込限度額を引き上げたいんですけど", ("ネットバンキング", "振込限度額"), "customer"),
    ("ワンタイムパスワードは、ご登録の携帯電話に届きます", ("ワンタイムパスワード", "携帯電話"), "agent"),
    (
        "キャッシュカードが磁気不良で使えなくなってしまったんです",
        ("キャッシュカード", "磁気不良"),
        "customer",
    ),
    ("自転車で転んでけがをしたんですが、保険金の請求はどうすればいいですか", ("保険金", "請求"), "customer"),
    ("診断書と領収書のコピーを、返信用封筒でお送りください", ("診断書", "領収書", "返信用封筒"), "agent"),
    ("来週の健康診断の予約を、別の日に変えていただきたいんですが", ("健康診断", "予約"), "customer"),
    ("初診の方は、保険証とお薬手帳をお持ちください", ("初診", "保険証", "お薬手帳"), "agent"),
    ("オンライン診療の予約画面が、途中で止まって進まないんです", ("オンライン診療", "予約画面"), "customer"),
    ("恐れ入りますが、ご契約者様ご本人でいらっしゃいますか", ("契約者",), "agent"),
    ("引っ越し先でも、今の電力会社のまま使い続けられますか", ("引っ越し", "電力会社"), "customer"),
)
HALVES = {
    "tuning": SENTENCES[:16] + TUNING_MORE,
    "reporting": SENTENCES[16:],
    "fresh": FRESH + FRESH_MORE,
    "held-apart": SENTENCES[16:] + FRESH + FRESH_MORE,
}
# The halves made of batches print each batch's figures beside the whole (each stays comparable)
BATCHES = {
    "fresh": {"FRESH": FRESH, "FRESH_MORE": FRESH_MORE},
    "held-apart": {"reporting": SENTENCES[16:], "FRESH": FRESH, "FRESH_MORE": FRESH_MORE},
}

_TTS = """
import sys, json, wave, numpy as np, pyopenjtalk
for text, out in json.load(sys.stdin):
    x, sr = pyopenjtalk.tts(text)
    with wave.open(out, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
        w.writeframes(np.clip(x, -32768, 32767).astype("<i2").tobytes())
"""


TTS_CACHE = Path(tempfile.gettempdir()) / "agent-assist-bench-tts"
"""Where the spoken sentences are kept between runs, by a digest of the text and the synthesis script."""


def synthesize(python: str, texts: list[str]) -> dict[str, Path]:
    """Speak each text with Open JTalk (in ``python``'s environment); 48 kHz WAV files by text, from
    :data:`TTS_CACHE` when spoken before."""
    TTS_CACHE.mkdir(parents=True, exist_ok=True)
    paths = {
        text: TTS_CACHE / f"{hashlib.sha256((_TTS + text).encode()).hexdigest()[:24]}.wav" for text in texts
    }
    jobs = [(text, str(path)) for text, path in paths.items() if not path.is_file()]
    if jobs:
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        subprocess.run(
            [python, "-c", _TTS], input=json.dumps(jobs), text=True, check=True, env=env, capture_output=True
        )
    return paths


def phone_clip(path: Path, text: str) -> Clip:
    """The sentence after an 8 kHz mu-law round trip, back at 16 kHz."""
    audio, rate = sf.read(str(path), dtype="float32")
    narrow = soxr.resample(audio, rate, 8000)
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        sf.write(tmp.name, narrow, 8000, subtype="ULAW")
        ulaw, _ = sf.read(tmp.name, dtype="float32")
    return Clip(path, "ja", text, soxr.resample(ulaw, 8000, SAMPLE_RATE).astype(np.float32))


def team_words(work: Path) -> list[str | tuple[str, str]]:
    """The team's word list: demo knowledge base and customers, the Intune help titles (the evaluation
    knowledge base), and the support list, as the app builds it at the start of a call."""
    store = Store.open(work / "team.sqlite3")
    demo = RESOURCES / "demo"
    entries = [
        KnowledgeEntry.from_dict(json.loads(x))
        for x in (demo / "knowledge.jsonl").read_text("utf-8").splitlines()
    ]
    help_file = EVAL_KB / "intune_user_help_en_ja" / "intune_user_help_en_ja.jsonl"
    if help_file.is_file():
        entries += [
            KnowledgeEntry(id=str(item["id"]), title=str(item["title_ja"]), language="ja")
            for item in map(json.loads, help_file.read_text(encoding="utf-8").splitlines())
        ]
    store.upsert_knowledge(entries)
    store.upsert_customers(
        Customer.from_dict(json.loads(x)) for x in (demo / "customers.jsonl").read_text("utf-8").splitlines()
    )
    words = domain_words(store)
    store.close()
    return words


def recall(pairs: list[tuple[tuple[str, ...], str]]) -> tuple[int, int]:
    found = total = 0
    for terms, hyp in pairs:
        plain = "".join(tokens(hyp, "ja"))
        for term in terms:
            total += 1
            found += "".join(tokens(term, "ja")) in plain
    return found, total


def prompt_of(spec: str) -> str | None:
    """A biasing prompt from its short name: ``none``, ``app`` (what the app prompts a Japanese call with when
    no caller or card is known), ``support:K`` (the same with the support list's first K words), or
    ``text:…`` (as given)."""
    if spec == "none":
        return None
    if spec == "app":
        return biasing_prompt("ja")
    if spec.startswith("support:"):
        return biasing_prompt("ja", support=int(spec.split(":", 1)[1]))
    if spec.startswith("text:"):
        return spec.split(":", 1)[1] or None
    raise SystemExit(f"--prompt: unknown prompt {spec!r} (none, support:K or text:WORDS)")


def ours(
    clip: Clip,
    model: Any,
    words: list[str | tuple[str, str]] | None,
    work: Path,
    prompt: str | None = None,
    hotwords: str | None = None,
) -> str:
    path = work / f"one_{clip.path.stem}.wav"
    sf.write(str(path), clip.audio, SAMPLE_RATE, subtype="PCM_16")
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(path, realtime=False, channel_map=ChannelMap.mono(Channel.CUSTOMER)),
        call_id="support",
        language="ja",
        model=model,
        on_event=events.append,
        lexicon=words,
        prompt=prompt,
        hotwords=hotwords,
    )
    live.start()
    live.wait()
    return "".join(e.text for e in transcript(events))


def offline(model: Any, clip: Clip) -> str:
    segments, _ = model.transcribe(clip.audio, language="ja")
    return "".join(s.text.strip() for s in segments)


def offline_cached(model: Any, clip: Clip) -> str:
    """:func:`offline`, kept in :data:`TTS_CACHE` by a digest of the audio (plain faster-whisper does not
    change between runs of the bench; the sentence clips are the same each time)."""
    import faster_whisper

    key = hashlib.sha256(clip.audio.tobytes() + faster_whisper.__version__.encode()).hexdigest()[:24]
    path = TTS_CACHE / f"offline_{key}.txt"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    text = offline(model, clip)
    path.write_text(text, encoding="utf-8")
    return text


def sentence_figures(
    half: str,
    clips: list[Clip],
    model: Any,
    words: Any,
    work: Path,
    prompt: str | None,
    hotwords: str | None,
    compare: list[str],
    show_sentences: bool = False,
    quick: bool = False,
) -> dict[str, float]:
    terms = [
        next(t for s, t, _ in (*SENTENCES, *TUNING_MORE, *FRESH, *FRESH_MORE) if s == c.reference)
        for c in clips
    ]
    plain = [offline_cached(model, c) for c in clips]
    with_lexicon = [ours(c, model, words, work, prompt, hotwords) for c in clips]
    runs = [("offline", plain), ("ours", with_lexicon)]
    if not quick:
        runs.append(("ours_no_lexicon", [ours(c, model, None, work, prompt, hotwords) for c in clips]))
    runs += [
        (f"ours_prompt_{spec}", [ours(c, model, words, work, prompt_of(spec), hotwords) for c in clips])
        for spec in compare
    ]
    out: dict[str, float] = {}
    for name, hyps in runs:
        out[f"{name}_cer"] = error_rate([(c.reference, h) for c, h in zip(clips, hyps, strict=True)], "ja")
        found, total = recall(list(zip(terms, hyps, strict=True)))
        out[f"{name}_recall"] = found / max(total, 1)
        out["terms"] = total
    without = (
        f" (without the lexicon {out['ours_no_lexicon_cer']:.1f}%, terms {out['ours_no_lexicon_recall']:.0%})"
        if not quick
        else ""
    )
    print(
        f"[{half}] {len(clips)} sentences, 8 kHz mu-law, prompt {prompt!r}, "
        f"{len(hotwords.split()) if hotwords else 0} hotwords: CER ours {out['ours_cer']:.1f}%, support "
        f"terms right {out['ours_recall']:.0%}{without}; offline {out['offline_cer']:.1f}%, terms "
        f"{out['offline_recall']:.0%} of {int(out['terms'])}",
        flush=True,
    )
    for batch, sentences in BATCHES.get(half, {}).items():
        texts = {text for text, _, _ in sentences}
        chosen = [i for i, c in enumerate(clips) if c.reference in texts]
        if not chosen:
            continue
        parts = []
        for name, hyps in runs:
            cer = error_rate([(clips[i].reference, hyps[i]) for i in chosen], "ja")
            found, total = recall([(terms[i], hyps[i]) for i in chosen])
            parts.append(f"{name} {cer:.1f}% terms {found / max(total, 1):.0%}")
        count = sum(len(terms[i]) for i in chosen)
        print(f"[{half}] {batch} ({len(chosen)} sentences, {count} terms): CER " + ", ".join(parts))
    for spec in compare:
        print(
            f"[{half}] with prompt {spec} ({prompt_of(spec)!r}): CER {out[f'ours_prompt_{spec}_cer']:.1f}%, "
            f"support terms right {out[f'ours_prompt_{spec}_recall']:.0%}",
            flush=True,
        )
    if half in ("reporting", "fresh", "held-apart") and not show_sentences:
        return out
    for i, (clip, base) in enumerate(zip(clips, plain, strict=True)):
        print(f"    {clip.reference} | offline: {base}")
        for name, hyps in runs[1:]:
            print(f"        {name}: {hyps[i]}")
    return out


def by_speaker(clips: list[Clip], sides: list[str]) -> list[Clip]:
    """The clips in the order lay_out_call needs (it alternates agent and customer) for each to land on its
    speaker's side."""
    agent = [c for c, s in zip(clips, sides, strict=True) if s == "agent"]
    customer = [c for c, s in zip(clips, sides, strict=True) if s == "customer"]
    ordered: list[Clip] = []
    while agent or customer:
        ordered += [agent.pop(0)] if agent else []
        ordered += [customer.pop(0)] if customer else []
    return ordered


def call_figures(
    half: str,
    clips: list[Clip],
    sides: list[str],
    model: Any,
    words: Any,
    work: Path,
    prompt: str | None,
    hotwords: str | None,
) -> dict[str, float]:
    """The half's sentences as a two-channel telephone call, replayed in real time."""
    call = work / f"call_{half}.wav"
    turns, duration = lay_out_call(by_speaker(clips, sides), call)
    phone = work / f"call_{half}_8k.wav"
    telephone(call, phone)
    events: list[TranscriptEvent] = []
    live = LiveTranscription(
        FileSource(phone, realtime=True, channel_map=ChannelMap.stereo()),
        call_id="support-call",
        language="ja",
        model=model,
        on_event=events.append,
        lexicon=words,
        prompt=prompt,
        hotwords=hotwords,
    )
    with CpuMeter() as meter:
        live.start()
        live.wait()
    assert meter.figures is not None
    cpu = meter.figures.process_percent
    stats = live.stats
    audio, rate = sf.read(str(phone), dtype="float32", always_2d=True)
    out: dict[str, float] = {"seconds": duration, **meter.figures.as_dict()}
    out.update(
        compute_s=stats.compute_seconds,
        second_pass_s=stats.revision_seconds,
        partials=stats.partials,
        partials_dropped=stats.partials_dropped,
        second_passes=stats.revisions + stats.revisions_kept_first,
    )
    for channel in (Channel.AGENT, Channel.CUSTOMER):
        mine = [t for t in turns if t.channel is channel]
        column = 0 if channel is Channel.AGENT else 1
        off = []
        for t in mine:
            part = audio[int(t.start * rate) : int(t.end * rate), column]
            off.append(
                (
                    t.clip.reference,
                    offline(
                        model,
                        Clip(
                            t.clip.path,
                            "ja",
                            t.clip.reference,
                            soxr.resample(part, rate, SAMPLE_RATE).astype(np.float32),
                        ),
                    ),
                )
            )
        out[f"{channel.value}_cer"] = error_rate(
            [(t.clip.reference, streamed_text(events, t)) for t in mine], "ja"
        )
        out[f"{channel.value}_offline_cer"] = error_rate(off, "ja")
    from tests.bench.bench_transcription import Run

    figures = latency_figures(Run(events, [], 0.0, 0.0, live))
    out.update(final_p50=figures["final_p50"], final_p95=figures["final_p95"], finals=figures["finals"])
    mean = (out["agent_cer"] + out["customer_cer"]) / 2
    mean_off = (out["agent_offline_cer"] + out["customer_offline_cer"]) / 2
    print(
        f"[{half} call] {duration:.0f} s two-channel telephone call, real time: CER "
        f"agent {out['agent_cer']:.1f}% (offline {out['agent_offline_cer']:.1f}%), "
        f"customer {out['customer_cer']:.1f}% (offline {out['customer_offline_cer']:.1f}%), mean {mean:.1f}% "
        f"vs {mean_off:.1f}%; final latency p50 {out['final_p50']:.2f} s, p95 {out['final_p95']:.2f} s "
        f"over {int(out['finals'])} finals; CPU {cpu:.0f}% (this process, all cores)",
        flush=True,
    )
    print(f"[{half} call] {meter.figures.line()}", flush=True)
    print(
        f"[{half} call] model time (wall, summed over the workers) {stats.compute_seconds:.1f} s, of which "
        f"second passes {stats.revision_seconds:.1f} s ({int(out['second_passes'])}); "
        f"{stats.partials} partials shown, {stats.partials_dropped} dropped",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tts-python",
        default=os.environ.get("AGENT_ASSIST_TTS_PYTHON", sys.executable),
        help="a Python with pyopenjtalk-plus installed (default: $AGENT_ASSIST_TTS_PYTHON or this one)",
    )
    parser.add_argument(
        "--half",
        choices=("tuning", "reporting", "both", "fresh", "held-apart"),
        default="reporting",
        help="both: tuning and reporting; fresh: the FRESH and FRESH_MORE sentences (never tuned on); "
        "held-apart: every sentence never tuned on (reporting, FRESH, FRESH_MORE) pooled, each batch below",
    )
    parser.add_argument("--no-call", action="store_true", help="sentence figures only")
    parser.add_argument("--call-only", action="store_true", help="the two-channel call only")
    parser.add_argument(
        "--prompt",
        default="app",
        help="biasing prompt: app (default: as a Japanese call starts), none, support:K (K words), text:…",
    )
    parser.add_argument(
        "--hotwords",
        choices=("app", "none"),
        default="app",
        help="app (default: the rest of the support list beside a Japanese prompt, as the app does) or none",
    )
    parser.add_argument(
        "--compare-prompts", default="", help="comma-separated prompts to compare sentence by sentence"
    )
    parser.add_argument(
        "--show-sentences",
        action="store_true",
        help="print the reporting (or fresh) half sentence by sentence too",
    )
    parser.add_argument("--quick", action="store_true", help="without the run without the lexicon")
    parser.add_argument("--first", type=int, default=None, help="only the first N sentences of each half")
    parser.add_argument(
        "--call-first", type=int, default=16, help="the call is made of the half's first N sentences"
    )
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-support-ja-") as tmp:
        work = Path(tmp)
        try:
            paths = synthesize(
                args.tts_python, [text for text, _, _ in (*SENTENCES, *TUNING_MORE, *FRESH, *FRESH_MORE)]
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            print(
                f"no Japanese speech synthesis ({exc}): install pyopenjtalk-plus, see the docstring; skipped"
            )
            return 0
        model = SharedModel.get("base", "ja")
        words = team_words(work)
        print(
            f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}; team word "
            f"list {len(words)} words"
        )
        prompt = prompt_of(args.prompt)
        hotwords = biasing_hotwords("ja", prompt) if args.hotwords == "app" else None
        compare = [spec for spec in args.compare_prompts.split(",") if spec]
        halves = ("tuning", "reporting") if args.half == "both" else (args.half,)
        for half in halves:
            sentences = HALVES[half][: args.first]
            clips = [phone_clip(paths[text], text) for text, _, _ in sentences]
            if not args.call_only:
                results[half] = sentence_figures(
                    half,
                    clips,
                    model,
                    words,
                    work,
                    prompt,
                    hotwords,
                    compare,
                    args.show_sentences,
                    args.quick,
                )
            if not args.no_call:
                # the call is the half's first sentences (16: the tuning half's call is the one it always was)
                spoken = sentences[: args.call_first]
                sides = [side for _, _, side in spoken]
                wide = [Clip(paths[text], "ja", text, _wideband(paths[text])) for text, _, _ in spoken]
                results[f"{half}_call"] = call_figures(
                    half, wide, sides, model, words, work, prompt, hotwords
                )
    print("json:", json.dumps(results, default=float))
    return 0


def _wideband(path: Path) -> np.ndarray:
    audio, rate = sf.read(str(path), dtype="float32")
    return soxr.resample(audio, rate, SAMPLE_RATE).astype(np.float32)


if __name__ == "__main__":
    sys.exit(main())
