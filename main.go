// Command cakegate is a Slack bot that hands out scoped, time-limited Datacake API tokens
// with an owner's approval. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cakegate/cakegate/bot/app"
	// The demo plays cakegate against in-process fakes of Slack and Datacake: the one place
	// a fake is linked into the binary.
	"github.com/cakegate/cakegate/bot/app/sandbox"

	// The policy names a time zone; carry the database for hosts without one.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage: cakegate [command]

commands:
  serve [--log-format text|json]
            run the bot (the default); --log-format overrides CAKEGATE_LOG_FORMAT
  demo      play a whole story against in-process fakes of Slack and Datacake; needs no
            account, and leaves its database in a temporary folder to explore
  check-config [--verbose]
            check the settings, the port, the policy file, the database, and that the Slack
            and Datacake tokens, the approvals channel and the approvers work; one line per
            check; --verbose also lists every setting as read
  manifest [--url https://… | --socket-mode] [--command /cakegate] [--name cakegate]
            print the Slack app manifest to create the app from: --url for HTTP mode (Slack
            calls cakegate there), else Socket Mode (no public URL); --command defaults to
            CAKEGATE_COMMAND, --name to cakegate
  backup [--force] FILE
            write a consistent copy of the database (CAKEGATE_DB, or etcd at one revision)
            as a bbolt file, also while the bot runs; FILE must be new (--force replaces
            it) and is never the database itself
  audit export [--since TIME] [--request R42]
            print the audit log as JSON lines; --since takes a time (2026-11-01T09:00:00Z),
            a date (2026-11-01) or an age (24h, 7d); --request one request's events
  audit verify
            check the audit log's hash chain, keyed events with the key in
            CAKEGATE_AUDIT_KEY_FILE; names the first broken event, and says whether the
            chain is keyed
  access export [--format csv|json]
            every API user of the Datacake workspace, for auditors: what it may do, its
            owner, who approved it and when, its end, the last access review decision
  migrate --to etcd
            copy the bbolt database (CAKEGATE_DB) into etcd (CAKEGATE_ETCD_*), with cakegate stopped
  version [--json]
            print the version (the module version or VCS revision it was built from)
  help      print this

Settings come from the environment: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET,
SLACK_API_URL, DATACAKE_TOKEN or DATACAKE_TOKEN_FILE, DATACAKE_API_URL, DATACAKE_MAX_RPS,
DATACAKE_MAX_CONCURRENCY, CAKEGATE_CONFIG, CAKEGATE_DB, CAKEGATE_ADDR, CAKEGATE_LOG_FORMAT,
CAKEGATE_COMMAND, CAKEGATE_STORE, CAKEGATE_ETCD_*, CAKEGATE_AUDIT_KEY_FILE. See README.md
and docs/.

Exit codes, the same for every command (docs/exit-codes.md): 0 done; 1 failed at this
moment (a service did not answer): try again; 2 something to fix first (the command line,
a setting, the policy, the database file, a refused token, another process on the database).
`

const demoUsage = `usage: cakegate demo

Plays cakegate's whole story (ask, approve, reveal, expire, and more) against fakes of Slack
and Datacake in this process, printing what each person sees. It needs no account or
network, takes no flags, and leaves its database in a temporary folder to explore with the
commands it prints at the end.
`

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return app.Serve(ctx, args, getenv, stderr)
	case "demo":
		switch {
		case len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help"):
			fmt.Fprint(stdout, demoUsage)
			return app.ExitOK
		case len(args) > 0:
			fmt.Fprint(stderr, demoUsage)
			return app.ExitFix
		}
		if err := sandbox.Demo(ctx, stdout); err != nil {
			fmt.Fprintln(stderr, "demo failed:", err)
			return app.ExitRetry
		}
		return app.ExitOK
	case "check-config":
		return app.CheckConfig(ctx, args, getenv, stdout, stderr)
	case "manifest":
		return app.Manifest(args, getenv, stdout, stderr)
	case "backup":
		return app.Backup(args, getenv, stdout, stderr)
	case "audit":
		return app.Audit(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return app.Migrate(ctx, args, getenv, stdout, stderr)
	case "access":
		return app.Access(ctx, args, getenv, stdout, stderr)
	case "version":
		return app.VersionCommand(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return app.ExitOK
	}
	fmt.Fprintf(stderr, "cakegate: unknown command %q\n\n%s", cmd, usage)
	return app.ExitFix
}
