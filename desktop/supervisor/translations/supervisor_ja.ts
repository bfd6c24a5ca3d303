<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja_JP">
<context>
    <name>AgentsList</name>
    <message>
        <source>Agents online</source>
        <translation>オンラインのオペレーター</translation>
    </message>
    <message>
        <source>%1 — idle (online %2)</source>
        <translation>%1 — 待機中（オンライン %2）</translation>
    </message>
    <message>
        <source>%1 — on a call (%2)</source>
        <translation>%1 — 通話中（%2）</translation>
    </message>
    <message>
        <source>No agent online</source>
        <translation>オンラインのオペレーターはいません</translation>
    </message>
</context>
<context>
    <name>AuditTrail</name>
    <message>
        <source>Audit trail</source>
        <translation>監査ログ</translation>
    </message>
    <message>
        <source>When</source>
        <translation>日時</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>誰が</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>対象</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>詳細</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Who monitored which call, who whispered what, and when.</source>
        <translation>誰がどの通話をモニターし、誰が何をささやいたか、その日時。</translation>
    </message>
    <message>
        <source>Only admins can see the audit trail.</source>
        <translation>監査ログは管理者のみ閲覧できます。</translation>
    </message>
    <message>
        <source>started following a call</source>
        <translation>通話のモニターを開始</translation>
    </message>
    <message>
        <source>stopped following a call</source>
        <translation>通話のモニターを終了</translation>
    </message>
    <message>
        <source>whispered</source>
        <translation>ささやきを送信</translation>
    </message>
    <message>
        <source>read a whisper</source>
        <translation>ささやきを既読にした</translation>
    </message>
    <message>
        <source>failed sign-in</source>
        <translation>サインイン失敗</translation>
    </message>
    <message>
        <source>raised a hand for help</source>
        <translation>挙手して助けを求めた</translation>
    </message>
    <message>
        <source>lowered the hand</source>
        <translation>挙手をやめた</translation>
    </message>
</context>
<context>
    <name>BoardSide</name>
    <message>
        <source>Live calls (calls needing attention first)</source>
        <translation>通話中（要注意の通話を上に表示）</translation>
    </message>
    <message>
        <source>Agents online</source>
        <translation>オンラインのオペレーター</translation>
    </message>
</context>
<context>
    <name>BoardTable</name>
    <message>
        <source>Live calls of the team</source>
        <translation>チームの通話中一覧</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>オペレーター</translation>
    </message>
    <message>
        <source>The agent on the call (▶: the call you follow)</source>
        <translation>通話中のオペレーター（▶: モニター中の通話）</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
    <message>
        <source>Who is calling, as the agent's app knows them</source>
        <translation>オペレーターのアプリが把握している発信者</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>通話時間</translation>
    </message>
    <message>
        <source>Last line</source>
        <translation>直近の発話</translation>
    </message>
    <message>
        <source>Frustration</source>
        <translation>不満度</translation>
    </message>
    <message>
        <source>Last whisper</source>
        <translation>最後のささやき</translation>
    </message>
    <message>
        <source>Needs attention</source>
        <translation>要注意</translation>
    </message>
    <message>
        <source>Why this call needs you: a raised hand, strong frustration, a long silence or a long call</source>
        <translation>この通話で対応が必要な理由: 挙手、強い不満、長い沈黙、長時間通話</translation>
    </message>
    <message>
        <source>How long the call has run</source>
        <translation>通話の経過時間</translation>
    </message>
    <message>
        <source>How upset the customer sounds, with the words that show it</source>
        <translation>お客様の不満の度合いと、それを示す言葉</translation>
    </message>
    <message>
        <source>Time since a supervisor last whispered on this call</source>
        <translation>この通話で最後にささやいてからの時間</translation>
    </message>
    <message>
        <source>The last thing said on the call</source>
        <translation>通話で最後に話された内容</translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation>不明な発信者</translation>
    </message>
    <message>
        <source>(nothing said yet)</source>
        <translation>（まだ発話なし）</translation>
    </message>
    <message>
        <source>calm</source>
        <translation>穏やか</translation>
    </message>
    <message>
        <source>strong</source>
        <translation>強い</translation>
    </message>
    <message>
        <source>some</source>
        <translation>やや</translation>
    </message>
    <message>
        <source>none yet</source>
        <translation>まだなし</translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation>%1 前</translation>
    </message>
    <message>
        <source>⚑ Hand raised</source>
        <translation>⚑ 挙手中</translation>
    </message>
    <message>
        <source>(answered)</source>
        <translation>（対応済み）</translation>
    </message>
    <message>
        <source>Strong frustration</source>
        <translation>強い不満</translation>
    </message>
    <message>
        <source>Silent for %1</source>
        <translation>%1 無言</translation>
    </message>
    <message>
        <source>Long call</source>
        <translation>長時間通話</translation>
    </message>
    <message>
        <source>Agent needs a moment after this call</source>
        <translation>通話後にひと息が必要</translation>
    </message>
</context>
<context>
    <name>ConsoleActions</name>
    <message>
        <source>Refresh board</source>
        <translation>ボードを更新</translation>
    </message>
    <message>
        <source>Follow selected call</source>
        <translation>選択した通話をモニター</translation>
    </message>
    <message>
        <source>Stop following</source>
        <translation>モニターを終了</translation>
    </message>
    <message>
        <source>Write a whisper</source>
        <translation>ささやきを書く</translation>
    </message>
    <message>
        <source>Answer the raised hand: I'm coming</source>
        <translation>挙手に応える: 向かいます</translation>
    </message>
    <message>
        <source>&amp;Board</source>
        <translation>ボード(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Followed call</source>
        <translation>モニター中の通話(&amp;F)</translation>
    </message>
</context>
<context>
    <name>FollowPane</name>
    <message>
        <source>Whispers on this call</source>
        <translation>この通話のささやき</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
    <message>
        <source>Agent's cards</source>
        <translation>オペレーターのカード</translation>
    </message>
    <message>
        <source>Not following a call. Double-click a call on the board (or select it and press Enter).</source>
        <translation>モニター中の通話はありません。ボードの通話をダブルクリック（または選択して Enter）してください。</translation>
    </message>
    <message>
        <source>call ended</source>
        <translation>通話終了</translation>
    </message>
    <message>
        <source>live</source>
        <translation>通話中</translation>
    </message>
    <message>
        <source>Following %1 with %2 (%3)</source>
        <translation>%1 と %2 の通話をモニター中（%3）</translation>
    </message>
    <message>
        <source>unknown caller</source>
        <translation>不明な発信者</translation>
    </message>
    <message>
        <source>⚑ Hand raised</source>
        <translation>⚑ 挙手中</translation>
    </message>
    <message>
        <source>Follow a call to see the cards its agent sees.</source>
        <translation>通話をモニターすると、オペレーターが見ているカードが表示されます。</translation>
    </message>
    <message>
        <source>The cards the agent is seeing now.</source>
        <translation>オペレーターがいま見ているカードです。</translation>
    </message>
    <message>
        <source>The agent's app has not shared its cards for this call.</source>
        <translation>この通話では、オペレーターのアプリがカードを共有していません。</translation>
    </message>
</context>
<context>
    <name>FollowedTranscript</name>
    <message>
        <source>Agent</source>
        <translation>オペレーター</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>お客様</translation>
    </message>
    <message>
        <source>Transcript of the followed call</source>
        <translation>モニター中の通話の文字起こし</translation>
    </message>
    <message>
        <source>(still being heard…)</source>
        <translation>（認識中…）</translation>
    </message>
</context>
<context>
    <name>ServerState</name>
    <message>
        <source>Connected as %1 (%2, team %3)</source>
        <translation>%1 として接続中（%2、チーム %3）</translation>
    </message>
    <message>
        <source>Connecting to the team server…</source>
        <translation>チームサーバーに接続中…</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>オフライン</translation>
    </message>
</context>
<context>
    <name>SupervisorConsole</name>
    <message>
        <source>Whisper templates: %1 — using the defaults.</source>
        <translation>ささやきテンプレート: %1 — 既定のテンプレートを使います。</translation>
    </message>
    <message>
        <source>Agent Assist — Supervisor</source>
        <translation>Agent Assist — スーパーバイザー</translation>
    </message>
    <message>
        <source>Team board</source>
        <translation>チームボード</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>監査ログ</translation>
    </message>
    <message>
        <source>The team server refused the token; ask your admin for a new one.</source>
        <translation>チームサーバーがトークンを拒否しました。管理者に新しいトークンを依頼してください。</translation>
    </message>
    <message>
        <source>The live calls could not be loaded</source>
        <translation>通話中一覧を読み込めませんでした</translation>
    </message>
    <message>
        <source>⚑ %1 raised a hand: %2</source>
        <translation>⚑ %1 さんが挙手しました: %2</translation>
    </message>
    <message>
        <source>Could not follow the call</source>
        <translation>通話をモニターできませんでした</translation>
    </message>
    <message>
        <source>The audit trail could not be loaded</source>
        <translation>監査ログを読み込めませんでした</translation>
    </message>
    <message>
        <source>the team server is not reachable</source>
        <translation>チームサーバーに接続できません</translation>
    </message>
</context>
<context>
    <name>WhisperComposer</name>
    <message>
        <source>Quick whisper templates</source>
        <translation>ささやきテンプレート</translation>
    </message>
    <message>
        <source>Save as template</source>
        <translation>テンプレートに保存</translation>
    </message>
    <message>
        <source>Keep the text above as a quick template (Japanese or English)</source>
        <translation>入力中の文をテンプレートとして保存します（日本語または英語）</translation>
    </message>
    <message>
        <source>Remove template</source>
        <translation>テンプレートを削除</translation>
    </message>
    <message>
        <source>Whisper text</source>
        <translation>ささやきの本文</translation>
    </message>
    <message>
        <source>Advice for the agent — Enter sends</source>
        <translation>オペレーターへの助言 — Enter で送信</translation>
    </message>
    <message>
        <source>Whisper</source>
        <translation>ささやく</translation>
    </message>
    <message>
        <source>Knowledge entry to send</source>
        <translation>送るナレッジ</translation>
    </message>
    <message>
        <source>Send entry to agent</source>
        <translation>ナレッジをオペレーターに送る</translation>
    </message>
    <message>
        <source>The team has shared no knowledge entries yet</source>
        <translation>チームで共有されたナレッジはまだありません</translation>
    </message>
    <message>
        <source>I'm coming</source>
        <translation>向かいます</translation>
    </message>
    <message>
        <source>Tell the agent you are on your way to help (Ctrl+K)</source>
        <translation>応援に向かうことをオペレーターに伝えます（Ctrl+K）</translation>
    </message>
    <message>
        <source>Tell the agent you are coming to help</source>
        <translation>応援に向かうことをオペレーターに伝える</translation>
    </message>
    <message>
        <source>Anchor to the selected line: %1</source>
        <translation>選択した発話に紐づける: %1</translation>
    </message>
    <message>
        <source>Anchor to a line (select one in the transcript)</source>
        <translation>発話に紐づける（文字起こしで行を選択）</translation>
    </message>
    <message>
        <source>Whispering to %1 — only the agent sees it.</source>
        <translation>%1 にささやきます — オペレーターにだけ表示されます。</translation>
    </message>
    <message>
        <source>Follow a call to whisper to its agent.</source>
        <translation>通話をモニターすると、そのオペレーターにささやけます。</translation>
    </message>
    <message>
        <source>Click to put it in the text field; Enter sends</source>
        <translation>クリックで入力欄に入ります。Enter で送信</translation>
    </message>
    <message>
        <source>Type the template text in the whisper field first.</source>
        <translation>先にささやきの入力欄にテンプレートの文を入力してください。</translation>
    </message>
    <message>
        <source>Template not saved: %1</source>
        <translation>テンプレートを保存できませんでした: %1</translation>
    </message>
    <message>
        <source>Select a template to remove.</source>
        <translation>削除するテンプレートを選んでください。</translation>
    </message>
    <message>
        <source>Templates not saved: %1</source>
        <translation>テンプレートを保存できませんでした: %1</translation>
    </message>
    <message>
        <source>No knowledge entry to send: the team has none shared yet.</source>
        <translation>送れるナレッジがありません。チームでまだ共有されていません。</translation>
    </message>
</context>
<context>
    <name>WhisperFlow</name>
    <message>
        <source>Follow a live call to whisper to its agent.</source>
        <translation>通話中の通話をモニターすると、そのオペレーターにささやけます。</translation>
    </message>
    <message>
        <source>The whisper could not be queued</source>
        <translation>ささやきを送信待ちにできませんでした</translation>
    </message>
    <message>
        <source>That knowledge entry is no longer shared by the team.</source>
        <translation>そのナレッジはチームで共有されなくなりました。</translation>
    </message>
    <message>
        <source>See: %1</source>
        <translation>参照: %1</translation>
    </message>
    <message>
        <source>I'm coming to help you.</source>
        <translation>今から応援に向かいます。</translation>
    </message>
    <message>
        <source>The team server refused %1: %2</source>
        <translation>チームサーバーが %1 を拒否しました: %2</translation>
    </message>
    <message>
        <source>The team's knowledge entries could not be loaded</source>
        <translation>チームのナレッジを読み込めませんでした</translation>
    </message>
</context>
<context>
    <name>WhisperHistory</name>
    <message>
        <source>Whispers sent on this call</source>
        <translation>この通話で送ったささやき</translation>
    </message>
    <message>
        <source>queued (waiting for the server)</source>
        <translation>送信待ち（サーバー待ち）</translation>
    </message>
    <message>
        <source>sent ✓</source>
        <translation>送信済み ✓</translation>
    </message>
    <message>
        <source>delivered ✓✓</source>
        <translation>配信済み ✓✓</translation>
    </message>
    <message>
        <source>read ✓✓</source>
        <translation>既読 ✓✓</translation>
    </message>
    <message>
        <source>[attached: %1]</source>
        <translation>［添付: %1］</translation>
    </message>
    <message>
        <source>refused: %1</source>
        <translation>拒否: %1</translation>
    </message>
</context>
</TS>