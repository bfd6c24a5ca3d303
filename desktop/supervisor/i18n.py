"""The supervisor console in Japanese: its own translation file, installed beside the app's.

The console's strings live in ``desktop/supervisor/translations/supervisor_ja.ts`` (and the compiled ``.qm``),
kept apart from the agent screen's file so the two can be refreshed independently. Refresh after changing a
``tr()`` string (keeps translations already in the .ts; prints what still has no Japanese)::

    .venv/bin/python -m desktop.supervisor.i18n
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
TS = TRANSLATIONS / "supervisor_ja.ts"

_installed: list[QTranslator] = []

JA: dict[str, str] = {
    "Agents online": "オンラインのオペレーター",
    "%1 — idle (online %2)": "%1 — 待機中（オンライン %2）",
    "%1 — on a call (%2)": "%1 — 通話中（%2）",
    "No agent online": "オンラインのオペレーターはいません",
    "Audit trail": "監査ログ",
    "When": "日時",
    "Who": "誰が",
    "Action": "操作",
    "Target": "対象",
    "Details": "詳細",
    "Refresh": "更新",
    "Who monitored which call, who whispered what, and when.": "誰がどの通話をモニターし、誰が何をささやいたか、その日時。",
    "Only admins can see the audit trail.": "監査ログは管理者のみ閲覧できます。",
    "started following a call": "通話のモニターを開始",
    "stopped following a call": "通話のモニターを終了",
    "whispered": "ささやきを送信",
    "read a whisper": "ささやきを既読にした",
    "failed sign-in": "サインイン失敗",
    "Live calls of the team": "チームの通話中一覧",
    "Agent": "オペレーター",
    "Customer": "お客様",
    "Duration": "通話時間",
    "Last line": "直近の発話",
    "Frustration": "不満度",
    "Last whisper": "最後のささやき",
    "Needs attention": "要注意",
    "Unknown caller": "不明な発信者",
    "(nothing said yet)": "（まだ発話なし）",
    "calm": "穏やか",
    "strong": "強い",
    "some": "やや",
    "none yet": "まだなし",
    "%1 ago": "%1 前",
    "Strong frustration": "強い不満",
    "Silent for %1": "%1 無言",
    "Long call": "長時間通話",
    "Agent needs a moment after this call": "通話後にひと息が必要",
    "Transcript of the followed call": "モニター中の通話の文字起こし",
    "(still being heard…)": "（認識中…）",
    "Whisper templates: %1 — using the defaults.": "ささやきテンプレート: %1 — 既定のテンプレートを使います。",
    "Agent Assist — Supervisor": "Agent Assist — スーパーバイザー",
    "Live calls (calls needing attention first)": "通話中（要注意の通話を上に表示）",
    "Whispers on this call": "この通話のささやき",
    "Agent's cards": "オペレーターのカード",
    "Team board": "チームボード",
    "Refresh board": "ボードを更新",
    "Follow selected call": "選択した通話をモニター",
    "Stop following": "モニターを終了",
    "Write a whisper": "ささやきを書く",
    "Connected as %1 (%2, team %3)": "%1 として接続中（%2、チーム %3）",
    "Connecting to the team server…": "チームサーバーに接続中…",
    "Offline": "オフライン",
    "The team server refused the token; ask your admin for a new one.":
        "チームサーバーがトークンを拒否しました。管理者に新しいトークンを依頼してください。",
    "The live calls could not be loaded": "通話中一覧を読み込めませんでした",
    "Could not follow the call": "通話をモニターできませんでした",
    "Not following a call. Double-click a call on the board (or select it and press Enter).":
        "モニター中の通話はありません。ボードの通話をダブルクリック（または選択して Enter）してください。",
    "call ended": "通話終了",
    "live": "通話中",
    "Following %1 with %2 (%3)": "%1 と %2 の通話をモニター中（%3）",
    "unknown caller": "不明な発信者",
    "Follow a call to see the cards its agent sees.": "通話をモニターすると、オペレーターが見ているカードが表示されます。",
    "The cards the agent is seeing now.": "オペレーターがいま見ているカードです。",
    "The agent's app has not shared its cards for this call.": "この通話では、オペレーターのアプリがカードを共有していません。",
    "Follow a live call to whisper to its agent.": "通話中の通話をモニターすると、そのオペレーターにささやけます。",
    "The whisper could not be queued": "ささやきを送信待ちにできませんでした",
    "That knowledge entry is no longer shared by the team.": "そのナレッジはチームで共有されなくなりました。",
    "See: %1": "参照: %1",
    "The team server refused %1: %2": "チームサーバーが %1 を拒否しました: %2",
    "The team's knowledge entries could not be loaded": "チームのナレッジを読み込めませんでした",
    "The audit trail could not be loaded": "監査ログを読み込めませんでした",
    "the team server is not reachable": "チームサーバーに接続できません",
    "Quick whisper templates": "ささやきテンプレート",
    "Save as template": "テンプレートに保存",
    "Keep the text above as a quick template (Japanese or English)": "入力中の文をテンプレートとして保存します（日本語または英語）",
    "Remove template": "テンプレートを削除",
    "Whisper text": "ささやきの本文",
    "Advice for the agent — Enter sends": "オペレーターへの助言 — Enter で送信",
    "Whisper": "ささやく",
    "Knowledge entry to send": "送るナレッジ",
    "Send entry to agent": "ナレッジをオペレーターに送る",
    "Anchor to the selected line: %1": "選択した発話に紐づける: %1",
    "Anchor to a line (select one in the transcript)": "発話に紐づける（文字起こしで行を選択）",
    "Whispering to %1 — only the agent sees it.": "%1 にささやきます — オペレーターにだけ表示されます。",
    "Follow a call to whisper to its agent.": "通話をモニターすると、そのオペレーターにささやけます。",
    "Click to put it in the text field; Enter sends": "クリックで入力欄に入ります。Enter で送信",
    "Type the template text in the whisper field first.": "先にささやきの入力欄にテンプレートの文を入力してください。",
    "Template not saved: %1": "テンプレートを保存できませんでした: %1",
    "Select a template to remove.": "削除するテンプレートを選んでください。",
    "Templates not saved: %1": "テンプレートを保存できませんでした: %1",
    "No knowledge entry to send: the team has none shared yet.": "送れるナレッジがありません。チームでまだ共有されていません。",
    "Whispers sent on this call": "この通話で送ったささやき",
    "queued (waiting for the server)": "送信待ち（サーバー待ち）",
    "sent ✓": "送信済み ✓",
    "delivered ✓✓": "配信済み ✓✓",
    "read ✓✓ 👁": "既読 ✓✓ 👁",
    "refused: %1": "拒否: %1",
    # Raise hand, menus, tooltips (desktop round two)
    "raised a hand for help": "挙手して助けを求めた",
    "lowered the hand": "挙手をやめた",
    "Why this call needs you: a raised hand, strong frustration, a long silence or a long call":
        "この通話で対応が必要な理由: 挙手、強い不満、長い沈黙、長時間通話",
    "The agent on the call (▶: the call you follow)": "通話中のオペレーター（▶: モニター中の通話）",
    "Who is calling, as the agent's app knows them": "オペレーターのアプリが把握している発信者",
    "How long the call has run": "通話の経過時間",
    "How upset the customer sounds, with the words that show it": "お客様の不満の度合いと、それを示す言葉",
    "Time since a supervisor last whispered on this call": "この通話で最後にささやいてからの時間",
    "The last thing said on the call": "通話で最後に話された内容",
    "⚑ Hand raised": "⚑ 挙手中",
    "(answered)": "（対応済み）",
    "[attached: %1]": "［添付: %1］",
    "read ✓✓": "既読 ✓✓",
    "The team has shared no knowledge entries yet": "チームで共有されたナレッジはまだありません",
    "I'm coming": "向かいます",
    "Tell the agent you are on your way to help (Ctrl+K)": "応援に向かうことをオペレーターに伝えます（Ctrl+K）",
    "Tell the agent you are coming to help": "応援に向かうことをオペレーターに伝える",
    "Answer the raised hand: I'm coming": "挙手に応える: 向かいます",
    "&Board": "ボード(&B)",
    "&Followed call": "モニター中の通話(&F)",
    "⚑ %1 raised a hand: %2": "⚑ %1 さんが挙手しました: %2",
    "I'm coming to help you.": "今から応援に向かいます。",
}  # fmt: skip


def install_supervisor_translation(language: str) -> bool:
    """Show the console in ``language`` (ja or en); call after the app's own install_ui_language()."""
    app = QCoreApplication.instance()
    if app is None:
        return False
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language != "ja":
        return True  # the source strings are English
    translator = QTranslator(app)
    if not translator.load("supervisor_ja", str(TRANSLATIONS)):
        return False
    app.installTranslator(translator)
    _installed.append(translator)
    return True


def main() -> int:
    bin_dir = Path(sys.executable).parent
    sources = sorted(str(p) for p in Path(__file__).resolve().parent.glob("*.py"))
    TRANSLATIONS.mkdir(exist_ok=True)
    subprocess.run([str(bin_dir / "pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(TS)], check=True)
    tree = ET.parse(TS)
    tree.getroot().set("language", "ja_JP")
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
    subprocess.run(
        [str(bin_dir / "pyside6-lrelease"), str(TS), "-qm", str(TS.with_suffix(".qm"))], check=True
    )
    for source in missing:
        print(f"no Japanese yet for: {source!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
