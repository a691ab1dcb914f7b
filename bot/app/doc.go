// Package app is cakegate wired together: the settings read from the environment (Config),
// the App built from them (New: the store, the Datacake client and its adapter to commands'
// port, the use cases, the Slack bot, the scheduler and its job list, metrics and log
// redaction), and the operator subcommands main dispatches to (Serve, CheckConfig, Manifest,
// Backup, Audit).
//
// It imports the real packages — bot, commands, datacake, state — and never a fake; the
// sandbox (bot/app/sandbox) runs this same App against in-process fakes for `cakegate demo`
// and the end-to-end tests. layout_test.go keeps the module's import rules.
package app
