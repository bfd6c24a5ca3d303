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
SOURCE_DIRS = ("desktop", "desktop/review")

JA: dict[str, str] = {
    # AgentApp
    "Replay a recording": "録音を再生",
    "Audio (*.wav *.flac *.mp3 *.ogg);;All files (*)": "音声 (*.wav *.flac *.mp3 *.ogg);;すべてのファイル (*)",
    "There is no call to wrap up yet.": "まだ後処理する通話がありません。",
    "Saved on this PC and sent to the team server.": "このPCに保存し、チームサーバーに送信しました。",
    "Saved on this PC. The team server is offline: it will be sent when it is back.": "このPCに保存しました。チームサーバーがオフラインのため、復旧後に送信します。",
    "Saved on this PC (local only: no team server set up).": "このPCに保存しました（チームサーバー未設定のためローカルのみ）。",
    "No audio input device found (%1). Plug in a headset and choose it in Settings, or replay a recording (Ctrl+O).": "音声入力デバイスが見つかりません（%1）。ヘッドセットを接続して設定で選ぶか、録音を再生してください（Ctrl+O）。",
    "Cannot use the audio input: %1": "音声入力を使用できません: %1",
    "The speech model is not available: %1": "音声認識モデルを利用できません: %1",
    "Cannot open the local database: %1": "ローカルデータベースを開けません: %1",
    "The team server refused a change: %1": "チームサーバーが変更を拒否しました: %1",
    "Saving the wrap-up failed: %1. Your text is still in the form.": "後処理の保存に失敗しました: %1。入力内容はフォームに残っています。",
    "No audio device": "音声デバイスなし",
    "Old recordings and transcripts could not be cleaned up: %1. It will be tried again tomorrow.": "古い録音と文字起こしを整理できませんでした: %1。明日もう一度試します。",
    "Some old recordings could not be deleted: %1": "一部の古い録音を削除できませんでした: %1",
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
    "Mark whisper read": "ささやきを既読にする",
    "Jump to live": "最新へ移動",
    "Settings…": "設定…",
    "Quit": "終了",
    "Light theme": "ライトテーマ",
    "Dark theme": "ダークテーマ",
    "Larger text": "文字を大きく",
    "Smaller text": "文字を小さく",
    "Default text size": "標準の文字サイズ",
    "Recording stopped: %1": "録音が停止しました: %1",
    "Audio device lost: %1. The other side keeps going; reconnect it or pick another in Settings.": "音声デバイスが切断されました: %1。もう一方は継続中です。再接続するか設定で別のデバイスを選んでください。",
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
    "No record for this number yet. Notes you take are saved for next time.": "この番号の記録はまだありません。取ったメモは次回のために保存されます。",
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
    "A softphone can open http://127.0.0.1:PORT/call?number=... on an incoming call": "着信時にソフトフォンが http://127.0.0.1:PORT/call?number=... を開くと番号が入ります",
    "empty = work locally only": "空欄 = ローカルのみで使用",
    "Beep on my own device when a whisper arrives": "ささやき受信時に自分のデバイスで通知音を鳴らす",
    "T&heme": "テーマ(&H)",
    "&Interface language": "表示言語(&I)",
    "Text &size (0 = default)": "文字サイズ(&S)（0 = 標準）",
    "(none)": "（なし）",
    "Devices are remembered by name, so a headset plugged into another port is still found.": "デバイスは名前で記憶されるため、別の端子に挿し直しても見つかります。",
    "No audio input devices found. Plug in a headset, or replay a recording with Call > Replay a recording.": "音声入力デバイスが見つかりません。ヘッドセットを接続するか、「通話 > 録音を再生」で録音を再生してください。",
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
    "Open": "開く",
    "✓ Helped": "✓ 役立った",
    "Helped": "役立った",
    "Not relevant": "関係なし",
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
    "Whispers from your supervisor": "スーパーバイザーからのささやき",
    "NEW": "新着",
    "about: “%1”": "対象の発言: 「%1」",
    "Whispers: %1 unread (F8 marks read)": "ささやき: 未読 %1 件（F8で既読）",
    "Whispers": "ささやき",
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
    # AgentApp: other windows
    "History & review is not available: %1": "履歴とレビューを利用できません: %1",
    # CallScreen: other windows
    "&Windows": "ウィンドウ(&W)",
    "Windows": "ウィンドウ",
    "History && review": "履歴とレビュー",
    "Past calls, search, insights (Ctrl+H)": "過去の通話・検索・分析（Ctrl+H）",
    "Supervisor console": "スーパーバイザー画面",
    "Follow the team's live calls and whisper (Ctrl+Shift+U)": "チームの通話をモニターしてささやく（Ctrl+Shift+U）",
    "Open history and review": "履歴とレビューを開く",
    "Open the supervisor console": "スーパーバイザー画面を開く",
    # SuggestionCard: cards a supervisor sent
    "%1 · sent by %2": "%1 · %2 さんから",
    "%1 (sent by your supervisor)": "%1（スーパーバイザーから届いたカード）",
    "your supervisor %1 sent this card": "スーパーバイザーの %1 さんが送ったカード",
    # Review window (desktop/review/)
    "Agent Assist — Call review": "Agent Assist — 通話レビュー",
    "Calls": "通話",
    "Insights": "分析",
    "Privacy": "プライバシー",
    "Pause": "一時停止",
    "Play": "再生",
    "Play or pause the recording": "録音を再生または一時停止",
    "Bookmark line": "行をブックマーク",
    "Export…": "書き出し…",
    "Comment on the selected line…": "選択した行にコメント…",
    "Comment": "コメント",
    "Self-review": "セルフレビュー",
    "Supervisor": "スーパーバイザー",
    "Customer notes": "お客様のメモ",
    "Add a note about this customer…": "このお客様についてのメモを追加…",
    "Add note": "メモを追加",
    "Tags (separated by ;)": "タグ（; 区切り）",
    "Disposition": "対応結果",
    "Follow-up": "フォローアップ",
    "Unresolved": "未解決",
    "Choose a call in the list to review it.": "一覧から通話を選ぶとレビューできます。",
    "Whisper": "ささやき",
    "Suggestion shown": "表示されたおすすめ",
    "Suggestion used": "使われたおすすめ",
    "Cue": "ヒント",
    "Bookmark": "ブックマーク",
    "Agent": "オペレーター",
    "This call is no longer in the store.": "この通話はもうデータベースにありません。",
    "No recording is kept for this call.": "この通話の録音は保存されていません。",
    "Unknown caller": "不明な発信者",
    "{who} · agent {agent} · {when}": "{who} · 担当 {agent} · {when}",
    "Caution": "注意",
    "Note": "メモ",
    "Cannot play the recording: {error}": "録音を再生できません: {error}",
    "Could not export: {error}": "書き出せませんでした: {error}",
    "Exported to {path}.": "{path} に書き出しました。",
    "Export transcript": "文字起こしを書き出し",
    "Wrap-up saved.": "後処理を保存しました。",
    "Search what was said, summaries and notes (日本語 / English)": "発話・要約・メモを検索（日本語 / English）",
    "Search calls": "通話を検索",
    "From YYYY-MM-DD": "開始日 YYYY-MM-DD",
    "To YYYY-MM-DD": "終了日 YYYY-MM-DD",
    "CSV…": "CSV…",
    "Export the calls matching these filters as CSV for Excel": "条件に合う通話を Excel 用の CSV に書き出す",
    "Date": "日付",
    "Duration": "通話時間",
    "All agents": "すべてのオペレーター",
    "All tags": "すべてのタグ",
    "All dispositions": "すべての対応結果",
    "“{text}” is not a date: write it as 2026-03-31.": "「{text}」は日付ではありません。2026-03-31 の形で入力してください。",
    "Unknown": "不明",
    "No calls match these filters.": "条件に合う通話はありません。",
    "Transcript": "文字起こし",
    "Nothing found. Try fewer or other words.": "見つかりませんでした。言葉を減らすか、別の言葉で試してください。",
    "%n match(es)": "%n 件一致",
    "Wrote {count} calls to {path}.": "{count} 件の通話を {path} に書き出しました。",
    "Export call list": "通話一覧を書き出し",
    "Per day": "日別",
    "Per week": "週別",
    "By tag": "タグ別",
    "By topic": "話題別",
    "By disposition": "対応結果別",
    "By agent": "オペレーター別",
    "All calls": "すべての通話",
    "Export CSV…": "CSV を書き出し…",
    "Average handle time by agent (minutes)": "オペレーター別の平均対応時間（分）",
    "Knowledge entries used (shown)": "使われたナレッジ（表示回数）",
    "Could not compute the insights: {error}": "分析を計算できませんでした: {error}",
    "{calls} calls · average handle time {minutes:.1f} min · {share:.0%} with frustration cues": "{calls} 件の通話 · 平均対応時間 {minutes:.1f} 分 · 不満のヒントあり {share:.0%}",
    "Export insights": "分析を書き出し",
    "Retention": "保存期間",
    "Delete recordings after (days)": "録音を削除するまでの日数",
    "Recordings": "録音",
    "Old transcripts": "古い文字起こし",
    "Transcripts count as old after (days)": "文字起こしを古いとみなすまでの日数",
    "Keep": "残す",
    "Redact personal details": "個人情報を伏せる",
    "Delete": "削除",
    "Save and apply now": "保存して今すぐ適用",
    "One customer's data (personal-information requests)": "お客様ごとのデータ（個人情報の開示・削除請求）",
    "Customer id": "お客様ID",
    "Export archive…": "アーカイブを書き出し…",
    "Erase everything about this customer…": "このお客様のデータをすべて消去…",
    "Saved. Deleted {files} recording files; redacted {redacted} and deleted {deleted} transcript lines.": "保存しました。録音ファイル {files} 件を削除し、文字起こし {redacted} 行を伏せ字にし、{deleted} 行を削除しました。",
    "Wrote {path}: {calls} calls, {notes} notes, {recordings} recordings.": "{path} を書き出しました: 通話 {calls} 件、メモ {notes} 件、録音 {recordings} 件。",
    "Type the customer id first.": "先にお客様IDを入力してください。",
    "Export customer archive": "お客様のアーカイブを書き出し",
    "Erase customer": "お客様を消去",
    "Erase {name} ({id}): the profile, notes, follow-ups, {calls} calls with their transcripts and recordings? This cannot be undone.": "{name}（{id}）のプロフィール、メモ、フォローアップ、通話 {calls} 件とその文字起こし・録音を消去しますか？元に戻せません。",
    "Nothing was erased.": "何も消去していません。",
    "Could not erase: {error}": "消去できませんでした: {error}",
    "Erased {id}: {calls} calls, {rows} records, {files} recording files.": "{id} を消去しました: 通話 {calls} 件、レコード {rows} 件、録音ファイル {files} 件。",
    "Could not remove: {files}": "削除できませんでした: {files}",
    # Call screen, round two: raise hand, after-call work, panes, card buttons (desktop)
    "ACW %1": "後処理 %1",
    "After-call work: time since the call ended": "後処理: 通話終了からの経過時間",
    "After-call work time": "後処理の経過時間",
    "Raise / lower hand": "挙手する／挙手をやめる",
    "Next pane": "次の区画へ",
    "Previous pane": "前の区画へ",
    "ddd d MMM yyyy": "yyyy年M月d日（ddd）",
    "Why? (optional, one line) — Enter sends": "理由（任意・1行）— Enter で送信",
    "Reason for raising your hand": "挙手の理由",
    "✋ Lower hand (F9)": "✋ 挙手をやめる (F9)",
    "✋ Raise hand (F9)": "✋ 挙手 (F9)",
    "Lower your hand": "挙手をやめる",
    "Raise your hand: ask a supervisor for help": "挙手: スーパーバイザーに助けを求める",
    "Raise your hand during a call to ask a supervisor for help.": "通話中に挙手すると、スーパーバイザーに助けを求められます。",
    "No team server is set up: no supervisor can see a raised hand.": "チームサーバーが未設定のため、挙手はスーパーバイザーに届きません。",
    "Hand raised: your supervisors see this call first.": "挙手中: スーパーバイザーの一覧でこの通話が先頭に表示されています。",
    "%1 is coming to help.": "%1 さんが応援に向かっています。",
    "%1 answered with a whisper.": "%1 さんがささやきで応えました。",
    "Listening… the first words appear a few seconds after someone starts to speak.": "聞き取り中… 話し始めてから数秒で最初の言葉が表示されます。",
    "Copy the text of “%1”": "「%1」の本文をコピー",
    "Open the whole entry “%1”": "「%1」の全文を開く",
    "“%1” helped": "「%1」が役に立った",
    "Hide “%1”: not relevant": "「%1」を非表示: 関係なし",
    "not read during the call": "通話中に未読",
    # Conversation, wrap-up sources and self-review (call detail); coaching (call screen, settings)
    "Conversation and self-review": "会話とセルフレビュー",
    "Wrap-up lines and scorecard; choose one to see its transcript lines": "後処理の各行とスコアカード（選ぶと元の発話を表示）",
    "Issue": "用件",
    "Fact": "状況",
    "Done": "対応",
    "Supervisor's advice": "SVの助言",
    "From %1 transcript line(s)": "発話 %1 行から",
    "No conversation figures for this call.": "この通話の会話指標はありません。",
    "%1 morae/s": "%1 モーラ/秒",
    "%1 words/min": "%1 語/分",
    "Talk:listen %1:%2 · overlaps %3 · silences %4 (%5 s) · longest monologue %6 s · pace %7": "話す:聞く %1:%2 · 被り %3 · 沈黙 %4（%5 秒） · 最長の一人話し %6 秒 · 話速 %7",
    "Empathy: %1 phrase(s); %2 of %3 upset moments answered": "共感: %1 回。不満・不安の %3 回中 %2 回に応えた",
    "Summarised the issue back": "要点を言い返して確認した",
    "No summary back": "要点の言い返し（バックトラッキング）なし",
    "Promises logged: %1 of %2": "約束の記録: %2 件中 %1 件",
    "Supervisor's advice taken up: %1 of %2": "SVの助言を実行: %2 件中 %1 件",
    "Thanked the customer at the end": "最後にお礼を伝えた",
    "No thanks at the end": "最後のお礼なし",
    "Close the coaching hints": "コーチングのヒントを閉じる",
    "Coaching": "コーチング",
    "Pace": "話す速さ",
    "Plain words": "やさしい言葉",
    "Realistic promise": "無理のない約束",
    "Sum it up": "要点の確認",
    "Silence": "沈黙",
    "Take a moment": "ひと息",
    "You %1% · customer %2% · pace %3 · overlaps %4 · silences %5": "あなた %1% · お客様 %2% · 話速 %3 · 被り %4 · 沈黙 %5",
    "Hints during the call, each with its reason. Switch off the ones you do not want.": "通話中のヒント（それぞれ理由つき）。不要なものはオフにできます。",
    "Pace: I speak fast for the customer": "話す速さ: お客様に対して話すのが速いとき",
    "Plain words: I use a technical term with a non-technical customer": "やさしい言葉: 機械に不慣れなお客様に専門用語を使ったとき",
    "Realistic promises: I promise absolutely (必ず, \u201cdefinitely\u201d)": "無理のない約束: 「必ず」「絶対」など言い切ったとき",
    "Sum it up: after the customer describes a problem at length": "要点の確認: お客様が問題を長く説明したあと",
    "Silence: nobody has spoken for a while": "沈黙: しばらく誰も話していないとき",
    "Take a moment after a hard call (the team sees only \u201cneeds a moment\u201d)": "つらい通話のあとにひと息（チームには「ひと息中」とだけ伝わります）",
}


def main() -> int:
    TS.parent.mkdir(parents=True, exist_ok=True)
    # The review window (desktop/review/) is part of this app and shares its file; the supervisor console keeps
    # its own (desktop/supervisor/translations), refreshed here too so one command updates every string.
    sources = sorted(str(p) for folder in SOURCE_DIRS for p in (ROOT / folder).glob("*.py"))
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
            if message.get("numerus") == "yes":  # Japanese has one plural form
                for form in list(translation):
                    translation.remove(form)
                ET.SubElement(translation, "numerusform").text = JA[source]
            else:
                translation.text = JA[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(QM)], check=True)
    for source in missing:
        print(f"no Japanese yet for: {source!r}")
    sys.path.insert(0, str(ROOT))
    from desktop.supervisor import i18n as supervisor_i18n

    print("supervisor console:")
    return supervisor_i18n.main()


if __name__ == "__main__":
    sys.exit(main())
