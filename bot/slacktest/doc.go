// Package slacktest is an in-process fake of the Slack Web API and Socket Mode that
// cakegate's bot tests, story tests and `cakegate demo` run against.
//
// It keeps state the way Slack does (messages per channel in their current
// form after chat.update and response URLs, ephemerals per user, DM channels,
// modal stacks and Home tabs), checks input like Slack (bot and app-level
// tokens, one-use trigger ids that expire after 3 s, Block Kit limits) and
// records every call, so that a test that passes against it says the real
// calls are right. It needs no testing.TB and is safe for concurrent use.
//
// # Web API
//
//	srv := slacktest.New()
//	srv.Start()
//	defer srv.Close()
//	srv.AddUser(slacktest.User{ID: "U01ALICE", Name: "alice", RealName: "Alice", TZ: "Europe/Berlin"})
//	api := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(srv.URL()))
//	// ... run the code under test with api ...
//	call, err := srv.WaitForCall(ctx, "chat.postMessage", nil)
//	fmt.Println(srv.RenderMessage(srv.DMs("U01ALICE")[0]))
//
// Served methods: auth.test, chat.postMessage, chat.postEphemeral,
// chat.update, conversations.open, conversations.info, views.open,
// views.push, views.update, views.publish, users.info,
// usergroups.users.list and apps.connections.open. Any other method answers
// unknown_method and is recorded. Only users added with AddUser exist;
// channels exist unless SetChannelError says otherwise. FailNext,
// RateLimitNext, Fail5xxNext (and their …In forms for one conversation),
// SetChannelError and BlockDMs inject failures.
//
// A views.open while a modal is open (a double click) replaces it, as Slack's
// clients do; views.update of a replaced or closed modal answers not_found, or
// succeeds unseen after AcceptUpdatesOfHiddenViews(true).
//
// Refused Block Kit payloads answer invalid_blocks for messages and
// invalid_arguments for views (what Slack answers there), with the reasons
// in response_metadata.messages and in Call.Problems.
//
// # Socket Mode
//
// Give the client the app-level token too
// (slack.OptionAppLevelToken(slacktest.DefaultAppToken)). apps.connections.open
// hands out a ws:// URL on the same server; the connection gets a hello, then
// WebSocket pings. SendSlashCommand, SendInteraction, SendEvent and the
// ClickButton, ClickViewButton and SubmitView helpers push envelopes; WaitAck
// waits for the bot's ack and applies its payload as Slack does (a slash
// command's answer is shown, a view submission's response_action closes,
// updates or pushes the modal, or is checked for errors on input blocks).
// Disconnect and RequestReconnect exercise slack-go's reconnects.
//
// # HTTP mode
//
// SignRequest, SlashCommandForm, InteractionForm and EventCallback build
// requests as Slack sends them to a Request URL.
//
// Nothing in this package sleeps: waiting is done on Notify, WaitFor and the
// other Wait helpers, each bounded by a context.
package slacktest
