"""Refresh the desktop's Japanese UI translation: extract the tr() strings (pyside6-lupdate), fill in the
Japanese for strings that have none yet from the table below, and compile the .qm (pyside6-lrelease).

    .venv/bin/python scripts/update_translations.py

A translator can also edit resources/translations/agent_assist_ja.ts in Qt Linguist; translations already in
the .ts are kept.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TS = ROOT / "resources" / "translations" / "agent_assist_ja.ts"
QM = TS.with_suffix(".qm")
BIN = Path(sys.executable).parent

JA: dict[str, str] = {
    # AgentApp
    "Replay a recording": "録音を再生",
    "Audio (*.wav *.flac *.mp3 *.ogg);;All files (*)": "音声 (*.wav *.flac *.mp3 *.ogg);;すべてのファイル (*)",
    "There is no call to wrap up yet.": "まだ後処理する通話がありません。",
    "Saved on this PC and sent to the team server.": "このPCに保存し、チームサーバーに送信しました。",
    "Saved on this PC. The team server is offline: it will be sent when it is back.":
        "このPCに保存しました。チームサーバーがオフラインのため、復旧後に送信します。",
    "Saved on this PC (local only: no team server set up).": "このPCに保存しました（チームサーバー未設定のためローカルのみ）。",
    "No audio input device found (%1). Plug in a headset and choose it in Settings, or replay a recording (Ctrl+O).":
        "音声入力デバイスが見つかりません（%1）。ヘッドセットを接続して設定で選ぶか、録音を再生してください（Ctrl+O）。",
    "Cannot use the audio input: %1": "音声入力を使用できません: %1",
    "The speech model is not available: %1": "音声認識モデルを利用できません: %1",
    "Cannot open the local database: %1": "ローカルデータベースを開けません: %1",
    "The team server refused a change: %1": "チームサーバーが変更を拒否しました: %1",
    "Saving the wrap-up failed: %1. Your text is still in the form.": "後処理の保存に失敗しました: %1。入力内容はフォームに残っています。",
    "No audio device": "音声デバイスなし",
    "Replay a recording…": "録音を再生…",
    "Agent Assist — demo": "Agent Assist — デモ",
    # CallBar
    "Caller number": "発信者番号",
    "Start or end the call": "通話を開始または終了",
    "You %p%": "自分 %p%",
    "Your microphone level": "自分のマイク音量",
    "Customer %p%": "お客様 %p%",
    "Customer audio level": "お客様の音量",
    "Call duration": "通話時間",
    "No call": "通話なし",
    "End call": "通話終了",
    "Start call": "通話開始",
    "● REC": "● 録音中",
    "not recording": "録音なし",
    "Recording": "録音中",
    "Not recording": "録音していません",
    "New caller": "新規のお客様",
    "lag %1 s": "遅延 %1 秒",
    "Local only (no team server)": "ローカルのみ（チームサーバーなし）",
    "Connecting to team server…": "チームサーバーに接続中…",
    "Team server: online": "チームサーバー: 接続中",
    "Team server offline: saving locally, will send later": "チームサーバー オフライン: ローカルに保存し後で送信",
    # CallScreen
    "Agent Assist": "Agent Assist",
    "Customer": "お客様",
    "Notes": "メモ",
    "Wrap-up": "後処理",
    "Live transcript": "ライブ文字起こし",
    "Suggestions": "おすすめ",
    "&Call": "通話(&C)",
    "&View": "表示(&V)",
    "&Language": "言語(&L)",
    "Start / end call": "通話の開始／終了",
    "Quick note": "クイックメモ",
    "Save wrap-up": "後処理を保存",
    "Mark whisper read": "ウィスパーを既読にする",
    "Jump to live": "最新へ移動",
    "Settings…": "設定…",
    "Quit": "終了",
    "Light theme": "ライトテーマ",
    "Dark theme": "ダークテーマ",
    "Larger text": "文字を大きく",
    "Smaller text": "文字を小さく",
    "Default text size": "標準の文字サイズ",
    "Recording stopped: %1": "録音が停止しました: %1",
    "Audio device lost: %1. The other side keeps going; reconnect it or pick another in Settings.":
        "音声デバイスが切断されました: %1。もう一方は継続中です。再接続するか設定で別のデバイスを選んでください。",
    "Audio device back: %1": "音声デバイスが復帰しました: %1",
    # CueBanner
    "Add to wrap-up": "後処理に追加",
    "Close the hint": "ヒントを閉じる",
    "Hint": "ヒント",
    "The customer sounds upset. You could say:": "お客様がお困りのようです。こう伝えてみましょう:",
    "Show you heard them:": "お話を受け止めたことを伝えましょう:",
    "You made a promise. Follow-up:": "お約束をしました。フォローアップ:",
    # CustomerContextPanel
    "Customer context": "お客様情報",
    "Start a call to see who is calling.": "通話を開始すると、お客様の情報が表示されます。",
    "No record for this number yet. Notes you take are saved for next time.":
        "この番号の記録はまだありません。取ったメモは次回のために保存されます。",
    "Tags": "タグ",
    "Traits and preferences": "特徴・ご希望",
    "Open follow-ups and promises": "未完了のフォローアップ・お約束",
    "Changed since the last contact": "前回の対応以降の変更",
    "Team notes": "チームのメモ",
    "Last contacts": "最近の対応履歴",
    "New note": "新しいメモ",
    "New follow-up": "新しいフォローアップ",
    "Follow-up closed": "フォローアップ完了",
    "Profile updated": "プロフィール更新",
    "pinned": "ピン留め",
    "caution": "注意",
    "next action": "次の対応",
    # LiveTranscript
    "You": "自分",
    "Jump to live ↓": "最新へ ↓",
    "Jump to the live end of the transcript": "文字起こしの最新行へ移動",
    "final": "確定",
    "still being heard": "認識中",
    "Click to bookmark this line": "クリックでこの行をブックマーク",
    # QuickNotes
    "Quick note, Enter to add": "クイックメモ（Enterで追加）",
    "Notes from this call": "この通話のメモ",
    # SettingsDialog
    "Settings": "設定",
    "Audio": "音声",
    "Transcription": "文字起こし",
    "Team server": "チームサーバー",
    "Appearance": "表示",
    "&Your microphone": "自分のマイク(&Y)",
    "&Customer audio": "お客様の音声(&C)",
    "Or one &stereo input": "または ステレオ入力1つ(&S)",
    "Level &test": "音量テスト(&T)",
    "Agent on the left channel": "左チャンネルがオペレーター",
    "Test": "テスト",
    "&Model": "モデル(&M)",
    "Call &language": "通話の言語(&L)",
    "Server &URL": "サーバーURL(&U)",
    "&Token": "トークン(&T)",
    "Your &name": "あなたの名前(&N)",
    "Softphone link &port (0 = off)": "ソフトフォン連携ポート(&P)（0 = 無効）",
    "A softphone can open http://127.0.0.1:PORT/call?number=... on an incoming call":
        "着信時にソフトフォンが http://127.0.0.1:PORT/call?number=... を開くと番号が入ります",
    "empty = work locally only": "空欄 = ローカルのみで使用",
    "Beep on my own device when a whisper arrives": "ウィスパー受信時に自分のデバイスで通知音を鳴らす",
    "T&heme": "テーマ(&H)",
    "&Interface language": "表示言語(&I)",
    "Text &size (0 = default)": "文字サイズ(&S)（0 = 標準）",
    "(none)": "（なし）",
    "Devices are remembered by name, so a headset plugged into another port is still found.":
        "デバイスは名前で記憶されるため、別の端子に挿し直しても見つかります。",
    "No audio input devices found. Plug in a headset, or replay a recording with Call > Replay a recording.":
        "音声入力デバイスが見つかりません。ヘッドセットを接続するか、「通話 > 録音を再生」で録音を再生してください。",
    "default for the language": "言語に応じた既定",
    "detect": "自動判定",
    "Light": "ライト",
    "Dark": "ダーク",
    "Choose a device first.": "先にデバイスを選んでください。",
    # SuggestionCard
    "Knowledge": "ナレッジ",
    "Team note": "チームのメモ",
    "Past call": "過去の通話",
    "Promise": "お約束",
    "Copy": "コピー",
    "Copy the card text": "カードの内容をコピー",
    "Open": "開く",
    "Open the whole entry": "全文を開く",
    "✓ Helped": "✓ 役立った",
    "Helped": "役立った",
    "This card helped": "このカードは役立った",
    "Not relevant": "関係なし",
    "Hide this card: not relevant": "このカードを隠す（関係なし）",
    "Why": "理由",
    "knowledge base entry": "ナレッジ記事",
    "this customer's past call": "このお客様の過去の通話",
    "an open promise to this customer": "このお客様への未完了のお約束",
    "a team note on this customer": "このお客様に関するチームのメモ",
    "a caution note on this customer": "このお客様に関する注意メモ",
    "a next-action note on this customer": "このお客様の次の対応メモ",
    "a trigger phrase rule": "キーフレーズのルール",
    "you heard: %1": "聞き取った言葉: %1",
    # SuggestionPanel
    "Cards that fit what the customer says appear here.": "お客様の話に合うカードがここに表示されます。",
    # WhisperInbox
    "Whispers from your supervisor": "スーパーバイザーからのウィスパー",
    "NEW": "新着",
    "about: “%1”": "対象の発言: 「%1」",
    "Whispers: %1 unread (F8 marks read)": "ウィスパー: 未読 %1 件（F8で既読）",
    "Whispers": "ウィスパー",
    # WrapUpPanel
    "&Summary": "要約(&S)",
    "&Tags": "タグ(&T)",
    "&Disposition": "対応結果(&D)",
    "&Next action": "次の対応(&N)",
    "&Follow-up": "フォローアップ(&F)",
    "Summary": "要約",
    "comma separated": "カンマ区切り",
    "Next action": "次の対応",
    "on": "設定する",
    "Schedule a follow-up": "フォローアップを予定する",
    "Save wrap-up (Ctrl+S)": "後処理を保存（Ctrl+S）",
    "Resolved": "解決",
    "Follow-up needed": "要フォローアップ",
    "Escalated": "エスカレーション",
    "Not resolved": "未解決",
    "Saving…": "保存中…",
}


def main() -> int:
    TS.parent.mkdir(parents=True, exist_ok=True)
    sources = sorted(str(p) for p in (ROOT / "desktop").glob("*.py"))
    subprocess.run([str(BIN / "pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(TS)], check=True)
    tree = ET.parse(TS)
    missing = []
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        if translation.text and translation.get("type") != "unfinished":
            continue
        if source in JA:
            translation.text = JA[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(QM)], check=True)
    for source in missing:
        print(f"no Japanese yet for: {source!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
