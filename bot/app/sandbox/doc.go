// Package sandbox runs the real cakegate — the App that app.New builds, with its store, use
// cases, bot, Datacake client and job list — against in-process fakes of Slack
// (bot/slacktest) and Datacake (datacake/datacaketest) on loopback, on a manual clock.
// `cakegate demo` plays a story in it, and the story, timeline, transport and operator tests
// run in it, so the demo shows exactly what the tests check.
//
// It is the one production package that imports fakes; it reaches the app only through what
// package app exports (App.Sweep runs the scheduler's own job list).
package sandbox
