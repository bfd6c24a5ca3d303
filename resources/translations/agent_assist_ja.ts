<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja_JP">
<context>
    <name>AfterCallModel</name>
    <message>
        <source>off</source>
        <translation>オフ</translation>
    </message>
    <message>
        <source>%1 (download, about %2 MB)</source>
        <translation>%1（ダウンロード、約 %2 MB）</translation>
    </message>
    <message>
        <source>Download a model</source>
        <translation>モデルのダウンロード</translation>
    </message>
    <message>
        <source>Download the %1 model (%2) from the internet to transcribe calls again after they end? It is checked against its published checksums.</source>
        <translation>通話終了後に文字起こしをやり直すため、%1 モデル（%2）をインターネットからダウンロードしますか？公開されているチェックサムで検証します。</translation>
    </message>
    <message>
        <source>Downloading %1…</source>
        <translation>%1 をダウンロード中…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
</context>
<context>
    <name>AgentApp</name>
    <message>
        <source>Old recordings and transcripts could not be cleaned up: %1. It will be tried again tomorrow.</source>
        <translation>古い録音と文字起こしを整理できませんでした: %1。明日もう一度試します。</translation>
    </message>
    <message>
        <source>Some old recordings could not be deleted: %1</source>
        <translation>一部の古い録音を削除できませんでした: %1</translation>
    </message>
    <message>
        <source>History &amp; review is not available: %1</source>
        <translation>履歴とレビューを利用できません: %1</translation>
    </message>
    <message>
        <source>Replay a recording</source>
        <translation>録音を再生</translation>
    </message>
    <message>
        <source>Audio (*.wav *.flac *.mp3 *.ogg);;All files (*)</source>
        <translation>音声 (*.wav *.flac *.mp3 *.ogg);;すべてのファイル (*)</translation>
    </message>
    <message>
        <source>There is no call to wrap up yet.</source>
        <translation>まだ後処理する通話がありません。</translation>
    </message>
    <message>
        <source>Saved on this PC and sent to the team server.</source>
        <translation>このPCに保存し、チームサーバーに送信しました。</translation>
    </message>
    <message>
        <source>Saved on this PC. The team server is offline: it will be sent when it is back.</source>
        <translation>このPCに保存しました。チームサーバーがオフラインのため、復旧後に送信します。</translation>
    </message>
    <message>
        <source>Saved on this PC (local only: no team server set up).</source>
        <translation>このPCに保存しました（チームサーバー未設定のためローカルのみ）。</translation>
    </message>
    <message>
        <source>No audio input device found (%1). Plug in a headset and choose it in Settings, or replay a recording (Ctrl+O).</source>
        <translation>音声入力デバイスが見つかりません（%1）。ヘッドセットを接続して設定で選ぶか、録音を再生してください（Ctrl+O）。</translation>
    </message>
    <message>
        <source>Cannot use the audio input: %1</source>
        <translation>音声入力を使用できません: %1</translation>
    </message>
    <message>
        <source>The speech model is not available: %1</source>
        <translation>音声認識モデルを利用できません: %1</translation>
    </message>
    <message>
        <source>Cannot open the local database: %1</source>
        <translation>ローカルデータベースを開けません: %1</translation>
    </message>
    <message>
        <source>The team server refused a change: %1</source>
        <translation>チームサーバーが変更を拒否しました: %1</translation>
    </message>
    <message>
        <source>Saving the wrap-up failed: %1. Your text is still in the form.</source>
        <translation>後処理の保存に失敗しました: %1。入力内容はフォームに残っています。</translation>
    </message>
    <message>
        <source>This customer's information was erased during the call, so no record of this call was kept.</source>
        <translation>通話中にこのお客様の情報が消去されたため、この通話の記録は残していません。</translation>
    </message>
    <message>
        <source>No audio device</source>
        <translation>音声デバイスなし</translation>
    </message>
    <message>
        <source>Replay a recording…</source>
        <translation>録音を再生…</translation>
    </message>
    <message>
        <source>Agent Assist — demo</source>
        <translation>Agent Assist — デモ</translation>
    </message>
</context>
<context>
    <name>AlreadyOpen</name>
    <message>
        <source>Agent Assist is already open</source>
        <translation>Agent Assist はすでに開いています</translation>
    </message>
    <message>
        <source>Agent Assist is already open on this PC (data folder {folder}). Switch to its window, or close it before starting it again.</source>
        <translation>Agent Assist はこの PC ですでに開いています（データフォルダー: {folder}）。そのウィンドウに切り替えるか、閉じてからもう一度起動してください。</translation>
    </message>
</context>
<context>
    <name>AnnotationBar</name>
    <message>
        <source>Comment on the selected line</source>
        <translation>選択した発話へのコメント</translation>
    </message>
    <message>
        <source>Comment as</source>
        <translation>コメントの立場</translation>
    </message>
    <message>
        <source>Bookmark line</source>
        <translation>行をブックマーク</translation>
    </message>
    <message>
        <source>Comment on the selected line…</source>
        <translation>選択した行にコメント…</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>コメント</translation>
    </message>
    <message>
        <source>Self-review</source>
        <translation>セルフレビュー</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>スーパーバイザー</translation>
    </message>
</context>
<context>
    <name>CallBar</name>
    <message>
        <source>Caller number</source>
        <translation>発信者番号</translation>
    </message>
    <message>
        <source>Start or end the call</source>
        <translation>通話を開始または終了</translation>
    </message>
    <message>
        <source>You %p%</source>
        <translation>自分 %p%</translation>
    </message>
    <message>
        <source>Your microphone level</source>
        <translation>自分のマイク音量</translation>
    </message>
    <message>
        <source>Customer %p%</source>
        <translation>お客様 %p%</translation>
    </message>
    <message>
        <source>Customer audio level</source>
        <translation>お客様の音量</translation>
    </message>
    <message>
        <source>ACW %1</source>
        <translation>後処理 %1</translation>
    </message>
    <message>
        <source>After-call work: time since the call ended</source>
        <translation>後処理: 通話終了からの経過時間</translation>
    </message>
    <message>
        <source>After-call work time</source>
        <translation>後処理の経過時間</translation>
    </message>
    <message>
        <source>Call duration</source>
        <translation>通話時間</translation>
    </message>
    <message>
        <source>No call</source>
        <translation>通話なし</translation>
    </message>
    <message>
        <source>End call</source>
        <translation>通話終了</translation>
    </message>
    <message>
        <source>Start call</source>
        <translation>通話開始</translation>
    </message>
    <message>
        <source>● REC</source>
        <translation>● 録音中</translation>
    </message>
    <message>
        <source>not recording</source>
        <translation>録音なし</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>録音中</translation>
    </message>
    <message>
        <source>Not recording</source>
        <translation>録音していません</translation>
    </message>
    <message>
        <source>New caller</source>
        <translation>新規のお客様</translation>
    </message>
    <message>
        <source>lag %1 s</source>
        <translation>遅延 %1 秒</translation>
    </message>
    <message>
        <source>Local only (no team server)</source>
        <translation>ローカルのみ（チームサーバーなし）</translation>
    </message>
    <message>
        <source>Connecting to team server…</source>
        <translation>チームサーバーに接続中…</translation>
    </message>
    <message>
        <source>Team server: online</source>
        <translation>チームサーバー: 接続中</translation>
    </message>
    <message>
        <source>Team server offline: saving locally, will send later</source>
        <translation>チームサーバー オフライン: ローカルに保存し後で送信</translation>
    </message>
</context>
<context>
    <name>CallDetail</name>
    <message>
        <source>Pause</source>
        <translation>一時停止</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>再生</translation>
    </message>
    <message>
        <source>Play or pause the recording</source>
        <translation>録音を再生または一時停止</translation>
    </message>
    <message>
        <source>Position in the recording</source>
        <translation>録音の再生位置</translation>
    </message>
    <message>
        <source>Call timeline: what was said, whispers, cards and comments</source>
        <translation>通話のタイムライン: 発話、ささやき、カード、コメント</translation>
    </message>
    <message>
        <source>Transcript export format</source>
        <translation>文字起こしの書き出し形式</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>書き出し…</translation>
    </message>
    <message>
        <source>Choose a call in the list to review it.</source>
        <translation>一覧から通話を選ぶとレビューできます。</translation>
    </message>
    <message>
        <source>This call is no longer in the store.</source>
        <translation>この通話はもうデータベースにありません。</translation>
    </message>
    <message>
        <source>No recording is kept for this call.</source>
        <translation>この通話の録音は保存されていません。</translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation>不明な発信者</translation>
    </message>
    <message>
        <source>{who} · agent {agent} · {when}</source>
        <translation>{who} · 担当 {agent} · {when}</translation>
    </message>
    <message>
        <source>The recording of this call cannot be read.</source>
        <translation>この通話の録音を読み込めません。</translation>
    </message>
    <message>
        <source>This PC's sound output cannot play the recording. Check the speakers or headset.</source>
        <translation>このPCの音声出力で録音を再生できません。スピーカーかヘッドセットを確認してください。</translation>
    </message>
    <message>
        <source>The recording cannot be played.</source>
        <translation>録音を再生できません。</translation>
    </message>
    <message>
        <source>Could not export: {error}</source>
        <translation>書き出せませんでした: {error}</translation>
    </message>
    <message>
        <source>Exported to {path}.</source>
        <translation>{path} に書き出しました。</translation>
    </message>
    <message>
        <source>Export transcript</source>
        <translation>文字起こしを書き出し</translation>
    </message>
    <message>
        <source>Wrap-up saved.</source>
        <translation>後処理を保存しました。</translation>
    </message>
    <message>
        <source>Could not save: {error}</source>
        <translation>保存できませんでした: {error}</translation>
    </message>
</context>
<context>
    <name>CallScreen</name>
    <message>
        <source>Agent Assist</source>
        <translation>Agent Assist</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>メモ</translation>
    </message>
    <message>
        <source>Wrap-up</source>
        <translation>後処理</translation>
    </message>
    <message>
        <source>Live transcript</source>
        <translation>ライブ文字起こし</translation>
    </message>
    <message>
        <source>Suggestions</source>
        <translation>おすすめ</translation>
    </message>
    <message>
        <source>&amp;Call</source>
        <translation>通話(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>言語(&amp;L)</translation>
    </message>
    <message>
        <source>Start / end call</source>
        <translation>通話の開始／終了</translation>
    </message>
    <message>
        <source>Replay a recording…</source>
        <translation>録音を再生…</translation>
    </message>
    <message>
        <source>Quick note</source>
        <translation>クイックメモ</translation>
    </message>
    <message>
        <source>Save wrap-up</source>
        <translation>後処理を保存</translation>
    </message>
    <message>
        <source>Mark whisper read</source>
        <translation>ささやきを既読にする</translation>
    </message>
    <message>
        <source>Jump to live</source>
        <translation>最新へ移動</translation>
    </message>
    <message>
        <source>Raise / lower hand</source>
        <translation>挙手する／挙手をやめる</translation>
    </message>
    <message>
        <source>Next pane</source>
        <translation>次の区画へ</translation>
    </message>
    <message>
        <source>Previous pane</source>
        <translation>前の区画へ</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>設定…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>終了</translation>
    </message>
    <message>
        <source>Light theme</source>
        <translation>ライトテーマ</translation>
    </message>
    <message>
        <source>Dark theme</source>
        <translation>ダークテーマ</translation>
    </message>
    <message>
        <source>Larger text</source>
        <translation>文字を大きく</translation>
    </message>
    <message>
        <source>Smaller text</source>
        <translation>文字を小さく</translation>
    </message>
    <message>
        <source>Default text size</source>
        <translation>標準の文字サイズ</translation>
    </message>
    <message>
        <source>&amp;Windows</source>
        <translation>ウィンドウ(&amp;W)</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>ウィンドウ</translation>
    </message>
    <message>
        <source>History &amp;&amp; review</source>
        <translation>履歴とレビュー</translation>
    </message>
    <message>
        <source>Past calls, search, insights (Ctrl+H)</source>
        <translation>過去の通話・検索・分析（Ctrl+H）</translation>
    </message>
    <message>
        <source>Supervisor console</source>
        <translation>スーパーバイザー画面</translation>
    </message>
    <message>
        <source>Follow the team's live calls and whisper (Ctrl+Shift+U)</source>
        <translation>チームの通話をモニターしてささやく（Ctrl+Shift+U）</translation>
    </message>
    <message>
        <source>Open history and review</source>
        <translation>履歴とレビューを開く</translation>
    </message>
    <message>
        <source>Open the supervisor console</source>
        <translation>スーパーバイザー画面を開く</translation>
    </message>
    <message>
        <source>Recording stopped: %1</source>
        <translation>録音が停止しました: %1</translation>
    </message>
    <message>
        <source>Audio device lost: %1. The other side keeps going; reconnect it or pick another in Settings.</source>
        <translation>音声デバイスが切断されました: %1。もう一方は継続中です。再接続するか設定で別のデバイスを選んでください。</translation>
    </message>
    <message>
        <source>Audio device back: %1</source>
        <translation>音声デバイスが復帰しました: %1</translation>
    </message>
</context>
<context>
    <name>CoachPanel</name>
    <message>
        <source>Close the coaching hints</source>
        <translation>コーチングのヒントを閉じる</translation>
    </message>
    <message>
        <source>Coaching</source>
        <translation>コーチング</translation>
    </message>
    <message>
        <source>Pace</source>
        <translation>話す速さ</translation>
    </message>
    <message>
        <source>Plain words</source>
        <translation>やさしい言葉</translation>
    </message>
    <message>
        <source>Realistic promise</source>
        <translation>無理のない約束</translation>
    </message>
    <message>
        <source>Sum it up</source>
        <translation>要点の確認</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>沈黙</translation>
    </message>
    <message>
        <source>Take a moment</source>
        <translation>ひと息</translation>
    </message>
    <message>
        <source>%1 morae/s</source>
        <translation>%1 モーラ/秒</translation>
    </message>
    <message>
        <source>%1 words/min</source>
        <translation>%1 語/分</translation>
    </message>
    <message>
        <source>You %1% · customer %2% · pace %3 · overlaps %4 · silences %5</source>
        <translation>あなた %1% · お客様 %2% · 話速 %3 · 被り %4 · 沈黙 %5</translation>
    </message>
</context>
<context>
    <name>CoachingSettings</name>
    <message>
        <source>Hints during the call, each with its reason. Switch off the ones you do not want.</source>
        <translation>通話中のヒント（それぞれ理由つき）。不要なものはオフにできます。</translation>
    </message>
    <message>
        <source>Pace: I speak fast for the customer</source>
        <translation>話す速さ: お客様に対して話すのが速いとき</translation>
    </message>
    <message>
        <source>Plain words: I use a technical term with a non-technical customer</source>
        <translation>やさしい言葉: 機械に不慣れなお客様に専門用語を使ったとき</translation>
    </message>
    <message>
        <source>Realistic promises: I promise absolutely (必ず, “definitely”)</source>
        <translation>無理のない約束: 「必ず」「絶対」など言い切ったとき</translation>
    </message>
    <message>
        <source>Sum it up: after the customer describes a problem at length</source>
        <translation>要点の確認: お客様が問題を長く説明したあと</translation>
    </message>
    <message>
        <source>Silence: nobody has spoken for a while</source>
        <translation>沈黙: しばらく誰も話していないとき</translation>
    </message>
    <message>
        <source>Take a moment after a hard call (the team sees only “needs a moment”)</source>
        <translation>つらい通話のあとにひと息（チームには「ひと息中」とだけ伝わります）</translation>
    </message>
</context>
<context>
    <name>ConversationPanel</name>
    <message>
        <source>Conversation and self-review</source>
        <translation>会話とセルフレビュー</translation>
    </message>
    <message>
        <source>Wrap-up lines and scorecard; choose one to see its transcript lines</source>
        <translation>後処理の各行とスコアカード（選ぶと元の発話を表示）</translation>
    </message>
    <message>
        <source>Issue</source>
        <translation>用件</translation>
    </message>
    <message>
        <source>Fact</source>
        <translation>状況</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>対応</translation>
    </message>
    <message>
        <source>Supervisor's advice</source>
        <translation>スーパーバイザーの助言</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>フォローアップ</translation>
    </message>
    <message>
        <source>From %1 transcript line(s)</source>
        <translation>発話 %1 行から</translation>
    </message>
    <message>
        <source>No conversation figures for this call.</source>
        <translation>この通話の会話指標はありません。</translation>
    </message>
    <message>
        <source>%1 morae/s</source>
        <translation>%1 モーラ/秒</translation>
    </message>
    <message>
        <source>%1 words/min</source>
        <translation>%1 語/分</translation>
    </message>
    <message>
        <source>Talk:listen %1:%2 · overlaps %3 · silences %4 (%5 s) · longest monologue %6 s · pace %7</source>
        <translation>話す:聞く %1:%2 · 被り %3 · 沈黙 %4（%5 秒） · 最長の一人話し %6 秒 · 話速 %7</translation>
    </message>
    <message>
        <source>Empathy: %1 phrase(s); %2 of %3 upset moments answered</source>
        <translation>共感: %1 回。不満・不安の %3 回中 %2 回に応えた</translation>
    </message>
    <message>
        <source>Summarised the issue back</source>
        <translation>要点を言い返して確認した</translation>
    </message>
    <message>
        <source>No summary back</source>
        <translation>要点の言い返し（バックトラッキング）なし</translation>
    </message>
    <message>
        <source>Promises logged: %1 of %2</source>
        <translation>約束の記録: %2 件中 %1 件</translation>
    </message>
    <message>
        <source>Supervisor's advice taken up: %1 of %2</source>
        <translation>スーパーバイザーの助言を実行: %2 件中 %1 件</translation>
    </message>
    <message>
        <source>Thanked the customer at the end</source>
        <translation>最後にお礼を伝えた</translation>
    </message>
    <message>
        <source>No thanks at the end</source>
        <translation>最後のお礼なし</translation>
    </message>
</context>
<context>
    <name>CueBanner</name>
    <message>
        <source>Add to wrap-up</source>
        <translation>後処理に追加</translation>
    </message>
    <message>
        <source>Close the hint</source>
        <translation>ヒントを閉じる</translation>
    </message>
    <message>
        <source>Hint</source>
        <translation>ヒント</translation>
    </message>
    <message>
        <source>The customer sounds upset. You could say:</source>
        <translation>お客様がお困りのようです。こう伝えてみましょう:</translation>
    </message>
    <message>
        <source>Show you heard them:</source>
        <translation>お話を受け止めたことを伝えましょう:</translation>
    </message>
    <message>
        <source>You made a promise. Follow-up:</source>
        <translation>お約束をしました。フォローアップ:</translation>
    </message>
    <message>
        <source>ddd d MMM yyyy</source>
        <translation>yyyy年M月d日（ddd）</translation>
    </message>
</context>
<context>
    <name>CustomerContextPanel</name>
    <message>
        <source>Customer context</source>
        <translation>お客様情報</translation>
    </message>
    <message>
        <source>Start a call to see who is calling.</source>
        <translation>通話を開始すると、お客様の情報が表示されます。</translation>
    </message>
    <message>
        <source>New caller</source>
        <translation>新規のお客様</translation>
    </message>
    <message>
        <source>No record for this number yet. Notes you take are saved for next time.</source>
        <translation>この番号の記録はまだありません。取ったメモは次回のために保存されます。</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>タグ</translation>
    </message>
    <message>
        <source>Traits and preferences</source>
        <translation>特徴・ご希望</translation>
    </message>
    <message>
        <source>Open follow-ups and promises</source>
        <translation>未完了のフォローアップ・お約束</translation>
    </message>
    <message>
        <source>Changed since the last contact</source>
        <translation>前回の対応以降の変更</translation>
    </message>
    <message>
        <source>Team notes</source>
        <translation>チームのメモ</translation>
    </message>
    <message>
        <source>Last contacts</source>
        <translation>最近の対応履歴</translation>
    </message>
    <message>
        <source>New note</source>
        <translation>新しいメモ</translation>
    </message>
    <message>
        <source>New follow-up</source>
        <translation>新しいフォローアップ</translation>
    </message>
    <message>
        <source>Follow-up closed</source>
        <translation>フォローアップ完了</translation>
    </message>
    <message>
        <source>Profile updated</source>
        <translation>プロフィール更新</translation>
    </message>
    <message>
        <source>pinned</source>
        <translation>ピン留め</translation>
    </message>
    <message>
        <source>caution</source>
        <translation>注意</translation>
    </message>
    <message>
        <source>next action</source>
        <translation>次の対応</translation>
    </message>
</context>
<context>
    <name>HandRaiser</name>
    <message>
        <source>Why? (optional, one line) — Enter sends</source>
        <translation>理由（任意・1行）— Enter で送信</translation>
    </message>
    <message>
        <source>Reason for raising your hand</source>
        <translation>挙手の理由</translation>
    </message>
    <message>
        <source>⚑ Lower hand (F9)</source>
        <translation>⚑ 挙手をやめる (F9)</translation>
    </message>
    <message>
        <source>⚑ Raise hand (F9)</source>
        <translation>⚑ 挙手 (F9)</translation>
    </message>
    <message>
        <source>Lower your hand</source>
        <translation>挙手をやめる</translation>
    </message>
    <message>
        <source>Raise your hand: ask a supervisor for help</source>
        <translation>挙手: スーパーバイザーに助けを求める</translation>
    </message>
    <message>
        <source>Raise your hand during a call to ask a supervisor for help.</source>
        <translation>通話中に挙手すると、スーパーバイザーに助けを求められます。</translation>
    </message>
    <message>
        <source>No team server is set up: no supervisor can see a raised hand.</source>
        <translation>チームサーバーが未設定のため、挙手はスーパーバイザーに届きません。</translation>
    </message>
    <message>
        <source>Hand raised: your supervisors see this call first.</source>
        <translation>挙手中: スーパーバイザーの一覧でこの通話が先頭に表示されています。</translation>
    </message>
    <message>
        <source>%1 is coming to help.</source>
        <translation>%1 さんが応援に向かっています。</translation>
    </message>
    <message>
        <source>%1 answered with a whisper.</source>
        <translation>%1 さんがささやきで応えました。</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>Search what was said, summaries and notes (日本語 / English)</source>
        <translation>発話・要約・メモを検索（日本語 / English）</translation>
    </message>
    <message>
        <source>Search calls</source>
        <translation>通話を検索</translation>
    </message>
    <message>
        <source>From YYYY-MM-DD</source>
        <translation>開始日 YYYY-MM-DD</translation>
    </message>
    <message>
        <source>To YYYY-MM-DD</source>
        <translation>終了日 YYYY-MM-DD</translation>
    </message>
    <message>
        <source>Filter by agent</source>
        <translation>オペレーターで絞り込み</translation>
    </message>
    <message>
        <source>Filter by tag</source>
        <translation>タグで絞り込み</translation>
    </message>
    <message>
        <source>Filter by disposition</source>
        <translation>対応結果で絞り込み</translation>
    </message>
    <message>
        <source>Calls from this date (YYYY-MM-DD)</source>
        <translation>この日以降の通話（YYYY-MM-DD）</translation>
    </message>
    <message>
        <source>Calls up to this date (YYYY-MM-DD)</source>
        <translation>この日までの通話（YYYY-MM-DD）</translation>
    </message>
    <message>
        <source>Export the listed calls as CSV</source>
        <translation>一覧の通話を CSV に書き出す</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>通話</translation>
    </message>
    <message>
        <source>Search results</source>
        <translation>検索結果</translation>
    </message>
    <message>
        <source>CSV…</source>
        <translation>CSV…</translation>
    </message>
    <message>
        <source>Export the calls matching these filters as CSV for Excel</source>
        <translation>条件に合う通話を Excel 用の CSV に書き出す</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日付</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>オペレーター</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>通話時間</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>対応結果</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>タグ</translation>
    </message>
    <message>
        <source>All agents</source>
        <translation>すべてのオペレーター</translation>
    </message>
    <message>
        <source>All tags</source>
        <translation>すべてのタグ</translation>
    </message>
    <message>
        <source>All dispositions</source>
        <translation>すべての対応結果</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>解決</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>フォローアップ</translation>
    </message>
    <message>
        <source>Escalated</source>
        <translation>エスカレーション</translation>
    </message>
    <message>
        <source>Unresolved</source>
        <translation>未解決</translation>
    </message>
    <message>
        <source>“{text}” is not a date: write it as 2026-03-31.</source>
        <translation>「{text}」は日付ではありません。2026-03-31 の形で入力してください。</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>不明</translation>
    </message>
    <message>
        <source>No calls match these filters.</source>
        <translation>条件に合う通話はありません。</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>文字起こし</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>要約</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>メモ</translation>
    </message>
    <message>
        <source>Nothing found. Try fewer or other words.</source>
        <translation>見つかりませんでした。言葉を減らすか、別の言葉で試してください。</translation>
    </message>
    <message>
        <source>1 match</source>
        <translation>1 件一致</translation>
    </message>
    <message>
        <source>%1 matches</source>
        <translation>%1 件一致</translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation>不明な発信者</translation>
    </message>
    <message>
        <source>Could not export: {error}</source>
        <translation>書き出せませんでした: {error}</translation>
    </message>
    <message>
        <source>Wrote {count} calls to {path}.</source>
        <translation>{count} 件の通話を {path} に書き出しました。</translation>
    </message>
    <message>
        <source>Export call list</source>
        <translation>通話一覧を書き出し</translation>
    </message>
</context>
<context>
    <name>InsightsPanel</name>
    <message>
        <source>Per day</source>
        <translation>日別</translation>
    </message>
    <message>
        <source>Per week</source>
        <translation>週別</translation>
    </message>
    <message>
        <source>By tag</source>
        <translation>タグ別</translation>
    </message>
    <message>
        <source>By topic</source>
        <translation>話題別</translation>
    </message>
    <message>
        <source>By disposition</source>
        <translation>対応結果別</translation>
    </message>
    <message>
        <source>By agent</source>
        <translation>オペレーター別</translation>
    </message>
    <message>
        <source>All calls</source>
        <translation>すべての通話</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>CSV を書き出し…</translation>
    </message>
    <message>
        <source>Calls per period (the breakdown is written beside each bar)</source>
        <translation>期間ごとの通話数（内訳は各棒の横に表示）</translation>
    </message>
    <message>
        <source>Average handle time by agent (minutes)</source>
        <translation>オペレーター別の平均対応時間（分）</translation>
    </message>
    <message>
        <source>Knowledge entries: times an agent used the card, of the times it was shown</source>
        <translation>ナレッジ: 表示された回数のうち、オペレーターが使った回数</translation>
    </message>
    <message>
        <source>Could not compute the insights: {error}</source>
        <translation>分析を計算できませんでした: {error}</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（なし）</translation>
    </message>
    <message>
        <source>of %1 shown</source>
        <translation>／表示 %1 回</translation>
    </message>
    <message>
        <source>(no agent)</source>
        <translation>（担当者の記録なし）</translation>
    </message>
    <message>
        <source>{calls} calls · average handle time {minutes:.1f} min · {share:.0%} with frustration cues</source>
        <translation>{calls} 件の通話 · 平均対応時間 {minutes:.1f} 分 · 不満のヒントあり {share:.0%}</translation>
    </message>
    <message>
        <source>Export insights</source>
        <translation>分析を書き出し</translation>
    </message>
</context>
<context>
    <name>LiveTranscript</name>
    <message>
        <source>You</source>
        <translation>自分</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
    <message>
        <source>Live transcript</source>
        <translation>ライブ文字起こし</translation>
    </message>
    <message>
        <source>Jump to live ↓</source>
        <translation>最新へ ↓</translation>
    </message>
    <message>
        <source>Jump to the live end of the transcript</source>
        <translation>文字起こしの最新行へ移動</translation>
    </message>
    <message>
        <source>Listening… the first words appear a few seconds after someone starts to speak.</source>
        <translation>聞き取り中… 話し始めてから数秒で最初の言葉が表示されます。</translation>
    </message>
    <message>
        <source>final</source>
        <translation>確定</translation>
    </message>
    <message>
        <source>still being heard</source>
        <translation>認識中</translation>
    </message>
    <message>
        <source>Click to bookmark this line</source>
        <translation>クリックでこの行をブックマーク</translation>
    </message>
</context>
<context>
    <name>PrivacyPanel</name>
    <message>
        <source>One customer's data (personal-information requests)</source>
        <translation>お客様ごとのデータ（個人情報の開示・削除請求）</translation>
    </message>
    <message>
        <source>Customer name or phone number</source>
        <translation>お客様の名前または電話番号</translation>
    </message>
    <message>
        <source>Find the customer by name or phone number</source>
        <translation>名前または電話番号でお客様を探す</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>検索</translation>
    </message>
    <message>
        <source>Customers found: choose one</source>
        <translation>見つかったお客様: 1人を選んでください</translation>
    </message>
    <message>
        <source>Erase {name} ({phone}): the profile, notes, follow-ups, {calls} calls with their transcripts and recordings? This cannot be undone.</source>
        <translation>{name}（{phone}）のプロフィール、メモ、フォローアップ、通話 {calls} 件とその文字起こし・録音を消去しますか？元に戻せません。</translation>
    </message>
    <message>
        <source>Export archive…</source>
        <translation>アーカイブを書き出し…</translation>
    </message>
    <message>
        <source>Erase everything about this customer…</source>
        <translation>このお客様のデータをすべて消去…</translation>
    </message>
    <message>
        <source>Saved. Deleted {files} recording files; redacted {redacted} and deleted {deleted} transcript lines.</source>
        <translation>保存しました。録音ファイル {files} 件を削除し、文字起こし {redacted} 行を伏せ字にし、{deleted} 行を削除しました。</translation>
    </message>
    <message>
        <source>Could not save: {error}</source>
        <translation>保存できませんでした: {error}</translation>
    </message>
    <message>
        <source>no phone</source>
        <translation>電話番号なし</translation>
    </message>
    <message>
        <source>{name} · {phone}{company} · {calls} calls</source>
        <translation>{name} · {phone}{company} · 通話 {calls} 件</translation>
    </message>
    <message>
        <source>Type the customer's name or phone number first.</source>
        <translation>先にお客様の名前か電話番号を入力してください。</translation>
    </message>
    <message>
        <source>No customer has that name or phone number.</source>
        <translation>その名前・電話番号のお客様はいません。</translation>
    </message>
    <message>
        <source>Choose the customer in the list.</source>
        <translation>一覧からお客様を選んでください。</translation>
    </message>
    <message>
        <source>Find and choose the customer first.</source>
        <translation>先にお客様を検索して選んでください。</translation>
    </message>
    <message>
        <source>Writing {path}…</source>
        <translation>{path} に書き出しています…</translation>
    </message>
    <message>
        <source>Could not export: {error}</source>
        <translation>書き出せませんでした: {error}</translation>
    </message>
    <message>
        <source>Wrote {path}: {calls} calls, {notes} notes, {recordings} recordings.</source>
        <translation>{path} を書き出しました: 通話 {calls} 件、メモ {notes} 件、録音 {recordings} 件。</translation>
    </message>
    <message>
        <source>Export customer archive</source>
        <translation>お客様のアーカイブを書き出し</translation>
    </message>
    <message>
        <source>Erase customer</source>
        <translation>お客様を消去</translation>
    </message>
    <message>
        <source>Nothing was erased.</source>
        <translation>何も消去していません。</translation>
    </message>
    <message>
        <source>Erasing {name}…</source>
        <translation>{name} を消去しています…</translation>
    </message>
    <message>
        <source>Could not erase: {error}</source>
        <translation>消去できませんでした: {error}</translation>
    </message>
    <message>
        <source>Erased from this PC: {name}, {calls} calls, {rows} records, {files} recording files.</source>
        <translation>このPCから消去しました: {name}、通話 {calls} 件、レコード {rows} 件、録音ファイル {files} 件。</translation>
    </message>
    <message>
        <source>Could not remove: {files}</source>
        <translation>削除できませんでした: {files}</translation>
    </message>
    <message>
        <source>NOT yet erased from the database file: another window of Agent Assist has it open. It is cleared when that window closes.</source>
        <translation>データベースファイルからはまだ消去されていません: Agent Assist の別のウィンドウが開いています。そのウィンドウを閉じると消去されます。</translation>
    </message>
</context>
<context>
    <name>QuickNotes</name>
    <message>
        <source>Quick note, Enter to add</source>
        <translation>クイックメモ（Enterで追加）</translation>
    </message>
    <message>
        <source>Quick note</source>
        <translation>クイックメモ</translation>
    </message>
    <message>
        <source>Notes from this call</source>
        <translation>この通話のメモ</translation>
    </message>
</context>
<context>
    <name>RetentionForm</name>
    <message>
        <source>Retention</source>
        <translation>保存期間</translation>
    </message>
    <message>
        <source>Delete recordings after (days)</source>
        <translation>録音を削除するまでの日数</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>録音</translation>
    </message>
    <message>
        <source>Old transcripts</source>
        <translation>古い文字起こし</translation>
    </message>
    <message>
        <source>Transcripts count as old after (days)</source>
        <translation>文字起こしを古いとみなすまでの日数</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>残す</translation>
    </message>
    <message>
        <source>Redact personal details</source>
        <translation>個人情報を伏せる</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>削除</translation>
    </message>
    <message>
        <source>Save and apply now</source>
        <translation>保存して今すぐ適用</translation>
    </message>
</context>
<context>
    <name>ReviewWindow</name>
    <message>
        <source>Agent Assist — Call review</source>
        <translation>Agent Assist — 通話レビュー</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>通話</translation>
    </message>
    <message>
        <source>Insights</source>
        <translation>分析</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>プライバシー</translation>
    </message>
</context>
<context>
    <name>ReviewWrapUp</name>
    <message>
        <source>Summary</source>
        <translation>要約</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>タグ</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>対応結果</translation>
    </message>
    <message>
        <source>Next action</source>
        <translation>次の対応</translation>
    </message>
    <message>
        <source>Customer notes</source>
        <translation>お客様のメモ</translation>
    </message>
    <message>
        <source>New note about this customer</source>
        <translation>このお客様についての新しいメモ</translation>
    </message>
    <message>
        <source>Wrap-up</source>
        <translation>後処理</translation>
    </message>
    <message>
        <source>Save wrap-up</source>
        <translation>後処理を保存</translation>
    </message>
    <message>
        <source>Add a note about this customer…</source>
        <translation>このお客様についてのメモを追加…</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>メモを追加</translation>
    </message>
    <message>
        <source>Tags (separated by commas)</source>
        <translation>タグ（カンマ区切り）</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>解決</translation>
    </message>
    <message>
        <source>Follow-up</source>
        <translation>フォローアップ</translation>
    </message>
    <message>
        <source>Escalated</source>
        <translation>エスカレーション</translation>
    </message>
    <message>
        <source>Unresolved</source>
        <translation>未解決</translation>
    </message>
    <message>
        <source>Caution</source>
        <translation>注意</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>メモ</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>音声</translation>
    </message>
    <message>
        <source>Transcription</source>
        <translation>文字起こし</translation>
    </message>
    <message>
        <source>Team server</source>
        <translation>チームサーバー</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>表示</translation>
    </message>
    <message>
        <source>Coaching</source>
        <translation>コーチング</translation>
    </message>
    <message>
        <source>&amp;Your microphone</source>
        <translation>自分のマイク(&amp;Y)</translation>
    </message>
    <message>
        <source>&amp;Customer audio</source>
        <translation>お客様の音声(&amp;C)</translation>
    </message>
    <message>
        <source>Or one &amp;stereo input</source>
        <translation>または ステレオ入力1つ(&amp;S)</translation>
    </message>
    <message>
        <source>Level &amp;test</source>
        <translation>音量テスト(&amp;T)</translation>
    </message>
    <message>
        <source>Agent on the left channel</source>
        <translation>左チャンネルがオペレーター</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>テスト</translation>
    </message>
    <message>
        <source>You %p%</source>
        <translation>自分 %p%</translation>
    </message>
    <message>
        <source>Customer %p%</source>
        <translation>お客様 %p%</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>モデル(&amp;M)</translation>
    </message>
    <message>
        <source>Call &amp;language</source>
        <translation>通話の言語(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;After-call pass</source>
        <translation>通話後の再文字起こし(&amp;A)</translation>
    </message>
    <message>
        <source>A bigger model transcribes each call again after it ends, in the background</source>
        <translation>通話終了後、より大きなモデルがバックグラウンドで文字起こしをやり直します</translation>
    </message>
    <message>
        <source>Server &amp;URL</source>
        <translation>サーバーURL(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Token</source>
        <translation>トークン(&amp;T)</translation>
    </message>
    <message>
        <source>Your &amp;name</source>
        <translation>あなたの名前(&amp;N)</translation>
    </message>
    <message>
        <source>Softphone link &amp;port (0 = off)</source>
        <translation>ソフトフォン連携ポート(&amp;P)（0 = 無効）</translation>
    </message>
    <message>
        <source>A softphone can open http://127.0.0.1:PORT/call?number=... on an incoming call</source>
        <translation>着信時にソフトフォンが http://127.0.0.1:PORT/call?number=... を開くと番号が入ります</translation>
    </message>
    <message>
        <source>empty = work locally only</source>
        <translation>空欄 = ローカルのみで使用</translation>
    </message>
    <message>
        <source>The token is kept in the system keyring (%1).</source>
        <translation>トークンはシステムのキーリング（%1）に保存されます。</translation>
    </message>
    <message>
        <source>The system keyring refused the token (%1): it is kept in %2, readable only by your user account.</source>
        <translation>システムのキーリングがトークンを受け付けませんでした（%1）。トークンは %2 に保存され、あなたのユーザーアカウントだけが読めます。</translation>
    </message>
    <message>
        <source>No system keyring was found: the token is kept in %1, readable only by your user account.</source>
        <translation>システムのキーリングが見つからないため、トークンは %1 に保存され、あなたのユーザーアカウントだけが読めます。</translation>
    </message>
    <message>
        <source>Beep on my own device when a whisper arrives</source>
        <translation>ささやき受信時に自分のデバイスで通知音を鳴らす</translation>
    </message>
    <message>
        <source>T&amp;heme</source>
        <translation>テーマ(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Interface language</source>
        <translation>表示言語(&amp;I)</translation>
    </message>
    <message>
        <source>Text &amp;size (0 = default)</source>
        <translation>文字サイズ(&amp;S)（0 = 標準）</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（なし）</translation>
    </message>
    <message>
        <source>Devices are remembered by name, so a headset plugged into another port is still found.</source>
        <translation>デバイスは名前で記憶されるため、別の端子に挿し直しても見つかります。</translation>
    </message>
    <message>
        <source>No audio input devices found. Plug in a headset, or replay a recording with Call &gt; Replay a recording.</source>
        <translation>音声入力デバイスが見つかりません。ヘッドセットを接続するか、「通話 &gt; 録音を再生」で録音を再生してください。</translation>
    </message>
    <message>
        <source>default for the language</source>
        <translation>言語に応じた既定</translation>
    </message>
    <message>
        <source>detect</source>
        <translation>自動判定</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>ライト</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>ダーク</translation>
    </message>
    <message>
        <source>Choose a device first.</source>
        <translation>先にデバイスを選んでください。</translation>
    </message>
</context>
<context>
    <name>SuggestionCard</name>
    <message>
        <source>Copy</source>
        <translation>コピー</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>開く</translation>
    </message>
    <message>
        <source>✓ Helped</source>
        <translation>✓ 役立った</translation>
    </message>
    <message>
        <source>Helped</source>
        <translation>役立った</translation>
    </message>
    <message>
        <source>Not relevant</source>
        <translation>関係なし</translation>
    </message>
    <message>
        <source>Copy the text of “%1”</source>
        <translation>「%1」の本文をコピー</translation>
    </message>
    <message>
        <source>Open the whole entry “%1”</source>
        <translation>「%1」の全文を開く</translation>
    </message>
    <message>
        <source>“%1” helped</source>
        <translation>「%1」が役に立った</translation>
    </message>
    <message>
        <source>Hide “%1”: not relevant</source>
        <translation>「%1」を非表示: 関係なし</translation>
    </message>
    <message>
        <source>Knowledge</source>
        <translation>ナレッジ</translation>
    </message>
    <message>
        <source>Team note</source>
        <translation>チームのメモ</translation>
    </message>
    <message>
        <source>Past call</source>
        <translation>過去の通話</translation>
    </message>
    <message>
        <source>Promise</source>
        <translation>お約束</translation>
    </message>
    <message>
        <source>%1 · sent by %2</source>
        <translation>%1 · %2 さんから</translation>
    </message>
    <message>
        <source>%1 (sent by your supervisor)</source>
        <translation>%1（スーパーバイザーから届いたカード）</translation>
    </message>
    <message>
        <source>knowledge base entry</source>
        <translation>ナレッジ記事</translation>
    </message>
    <message>
        <source>this customer's past call</source>
        <translation>このお客様の過去の通話</translation>
    </message>
    <message>
        <source>an open promise to this customer</source>
        <translation>このお客様への未完了のお約束</translation>
    </message>
    <message>
        <source>a team note on this customer</source>
        <translation>このお客様に関するチームのメモ</translation>
    </message>
    <message>
        <source>a caution note on this customer</source>
        <translation>このお客様に関する注意メモ</translation>
    </message>
    <message>
        <source>a next-action note on this customer</source>
        <translation>このお客様の次の対応メモ</translation>
    </message>
    <message>
        <source>your supervisor %1 sent this card</source>
        <translation>スーパーバイザーの %1 さんが送ったカード</translation>
    </message>
    <message>
        <source>a trigger phrase rule</source>
        <translation>キーフレーズのルール</translation>
    </message>
    <message>
        <source>you heard: %1</source>
        <translation>聞き取った言葉: %1</translation>
    </message>
    <message>
        <source>close in meaning to: %1</source>
        <translation>意味が近い: %1</translation>
    </message>
    <message>
        <source>same meaning: %1</source>
        <translation>同じ意味の言葉: %1</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>理由</translation>
    </message>
</context>
<context>
    <name>SuggestionPanel</name>
    <message>
        <source>Suggestions</source>
        <translation>おすすめ</translation>
    </message>
    <message>
        <source>Cards that fit what the customer says appear here.</source>
        <translation>お客様の話に合うカードがここに表示されます。</translation>
    </message>
</context>
<context>
    <name>SummarySources</name>
    <message>
        <source>Where each line of the wrap-up came from; choose one to see it</source>
        <translation>後処理の各行の出どころ（選ぶと表示）</translation>
    </message>
    <message>
        <source>Choose a line to see the transcript lines it was written from.</source>
        <translation>行を選ぶと、その元になった発話を表示します。</translation>
    </message>
</context>
<context>
    <name>TeamConversation</name>
    <message>
        <source>Conversations and self-review</source>
        <translation>会話とセルフレビュー（チーム）</translation>
    </message>
    <message>
        <source>Everyone</source>
        <translation>全員</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>オペレーター</translation>
    </message>
    <message>
        <source>Calls</source>
        <translation>通話</translation>
    </message>
    <message>
        <source>Talk share</source>
        <translation>話す割合</translation>
    </message>
    <message>
        <source>Overlaps a call</source>
        <translation>被り/通話</translation>
    </message>
    <message>
        <source>Silences a call</source>
        <translation>沈黙/通話</translation>
    </message>
    <message>
        <source>Longest monologue</source>
        <translation>最長の一人話し</translation>
    </message>
    <message>
        <source>Pace</source>
        <translation>話す速さ</translation>
    </message>
    <message>
        <source>No measured calls yet.</source>
        <translation>まだ計測した通話はありません。</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>期間</translation>
    </message>
    <message>
        <source>Summary back</source>
        <translation>要点の言い返し</translation>
    </message>
    <message>
        <source>Empathy answered</source>
        <translation>共感で応えた</translation>
    </message>
    <message>
        <source>Advice followed</source>
        <translation>助言の実行</translation>
    </message>
    <message>
        <source>Promises logged</source>
        <translation>約束の記録</translation>
    </message>
    <message>
        <source>Thanked</source>
        <translation>お礼</translation>
    </message>
</context>
<context>
    <name>TeamErasureLine</name>
    <message>
        <source>Team server: erasing the team's copy…</source>
        <translation>チームサーバー: チームのコピーを消去しています…</translation>
    </message>
    <message>
        <source>Team server: NOT erased, the request failed: {error}</source>
        <translation>チームサーバー: 消去されていません。要求が失敗しました: {error}</translation>
    </message>
    <message>
        <source>Team server: none is set up, nothing was shared with a team.</source>
        <translation>チームサーバー: 未設定のため、チームとは何も共有していません。</translation>
    </message>
    <message>
        <source>Team server: erased ({calls} calls, {rows} records).</source>
        <translation>チームサーバー: 消去しました（通話 {calls} 件、レコード {rows} 件）。</translation>
    </message>
    <message>
        <source>Team server: erased ({calls} calls, {rows} records); its files are cleaned at its next retention round (pending).</source>
        <translation>チームサーバー: 消去しました（通話 {calls} 件、レコード {rows} 件）。サーバーのファイルは次回の保持期間処理で完全に消去されます（保留中）。</translation>
    </message>
    <message>
        <source>Team server: erased from every table of its PostgreSQL database ({calls} calls, {rows} records). Old copies can remain in PostgreSQL's own files, write-ahead log and backups until the database's administrator reclaims them (VACUUM FULL) and the backups expire; Agent Assist cannot confirm that.</source>
        <translation>チームサーバー: PostgreSQL データベースのすべての表から消去しました（通話 {calls} 件、レコード {rows} 件）。古い複製は、データベースの管理者が回収し（VACUUM FULL）バックアップの保存期限が過ぎるまで、PostgreSQL 自身のファイル・先行書き込みログ（WAL）・バックアップに残ることがあります。Agent Assist ではそれを確認できません。</translation>
    </message>
    <message>
        <source>Team server: NOT erased yet (pending), it cannot be reached ({reason}). The request is sent when Agent Assist next connects.</source>
        <translation>チームサーバー: まだ消去されていません（保留中）。接続できません（{reason}）。Agent Assist が次に接続したときに消去を依頼します。</translation>
    </message>
    <message>
        <source>Team server: NOT erased yet (pending), it cannot be reached ({reason}). Erase again once it is reachable.</source>
        <translation>チームサーバー: まだ消去されていません（保留中）。接続できません（{reason}）。接続できるようになったら、もう一度消去してください。</translation>
    </message>
    <message>
        <source>Team server: NOT erased, it refused ({reason}). A supervisor or admin must erase the team's copy.</source>
        <translation>チームサーバー: 消去されていません。拒否されました（{reason}）。チームのコピーはスーパーバイザーか管理者が消去する必要があります。</translation>
    </message>
    <message>
        <source>{file}: queued messages about the customer deleted, NOT yet cleared from the file (Agent Assist has it open; cleared when it closes).</source>
        <translation>{file}: このお客様についての送信待ちメッセージを削除しました。ファイルからはまだ消去されていません（Agent Assist が開いています。閉じると消去されます）。</translation>
    </message>
</context>
<context>
    <name>TimelineList</name>
    <message>
        <source>read at {time}</source>
        <translation>{time} に既読</translation>
    </message>
    <message>
        <source>not read</source>
        <translation>未読</translation>
    </message>
    <message>
        <source>Whisper</source>
        <translation>ささやき</translation>
    </message>
    <message>
        <source>Suggestion shown</source>
        <translation>表示されたおすすめ</translation>
    </message>
    <message>
        <source>Suggestion used</source>
        <translation>使われたおすすめ</translation>
    </message>
    <message>
        <source>Cue</source>
        <translation>ヒント</translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation>ブックマーク</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>コメント</translation>
    </message>
    <message>
        <source>Overlap</source>
        <translation>被り</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>沈黙</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>オペレーター</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
</context>
<context>
    <name>WhisperInbox</name>
    <message>
        <source>Whispers from your supervisor</source>
        <translation>スーパーバイザーからのささやき</translation>
    </message>
    <message>
        <source>NEW</source>
        <translation>新着</translation>
    </message>
    <message>
        <source>not read during the call</source>
        <translation>通話中に未読</translation>
    </message>
    <message>
        <source>about: “%1”</source>
        <translation>対象の発言: 「%1」</translation>
    </message>
    <message>
        <source>Whispers: %1 unread (F8 marks read)</source>
        <translation>ささやき: 未読 %1 件（F8で既読）</translation>
    </message>
    <message>
        <source>Whispers</source>
        <translation>ささやき</translation>
    </message>
</context>
<context>
    <name>WrapUpPanel</name>
    <message>
        <source>Saving…</source>
        <translation>保存中…</translation>
    </message>
    <message>
        <source>&amp;Summary</source>
        <translation>要約(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Tags</source>
        <translation>タグ(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Disposition</source>
        <translation>対応結果(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;Next action</source>
        <translation>次の対応(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Follow-up</source>
        <translation>フォローアップ(&amp;F)</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>要約</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>タグ</translation>
    </message>
    <message>
        <source>comma separated</source>
        <translation>カンマ区切り</translation>
    </message>
    <message>
        <source>Next action</source>
        <translation>次の対応</translation>
    </message>
    <message>
        <source>on</source>
        <translation>設定する</translation>
    </message>
    <message>
        <source>Schedule a follow-up</source>
        <translation>フォローアップを予定する</translation>
    </message>
    <message>
        <source>Save wrap-up (Ctrl+S)</source>
        <translation>後処理を保存（Ctrl+S）</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>解決</translation>
    </message>
    <message>
        <source>Follow-up needed</source>
        <translation>要フォローアップ</translation>
    </message>
    <message>
        <source>Escalated</source>
        <translation>エスカレーション</translation>
    </message>
    <message>
        <source>Not resolved</source>
        <translation>未解決</translation>
    </message>
</context>
</TS>