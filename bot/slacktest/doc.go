// Package slacktest is an in-process fake of the Slack Web API and Socket Mode that
// cakegate's bot tests, story tests and `cakegate demo` run against.
//
// It keeps state the way Slack does (messages per channel with their current
// content after chat.update, ephemerals per user, DM channels, modal stacks and
// Home tabs), validates input like Slack (bot and app-level tokens, trigger ids,
// Block Kit limits) and records every call, so that a test that passes against it
// says the real calls are right.
//
// Typical use in a test:
//
//	srv := slacktest.New()
//	srv.Start()
//	defer srv.Close()
//	srv.AddUser(slacktest.User{ID: "U1", Name: "alice", RealName: "Alice", TZ: "Europe/Berlin"})
//	api := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(srv.URL()))
//	// ... run the code under test with api ...
//	call, err := srv.WaitForCall(ctx, "chat.postMessage", nil)
//
// Socket Mode: give the client the app-level token too
// (slack.OptionAppLevelToken(slacktest.DefaultAppToken)); the fake's
// apps.connections.open hands out a ws:// URL on the same server, and
// SendSlashCommand, SendInteraction and SendEvent push envelopes that WaitAck
// waits to see acknowledged.
//
// Nothing in this package sleeps: waiting is done on Notify, WaitFor and the
// other Wait helpers, each bounded by a context.
package slacktest
