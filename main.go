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
            run the bot (the default); the flag overrides CAKEGATE_LOG_FORMAT
  demo      play a whole story against in-process fakes of Slack and Datacake; needs no account
  check-config
            check the policy file, the settings, and that the Datacake and Slack tokens,
            the approvals channel and the approvers work; one line per problem
  manifest --url https://… | --socket-mode
            print the Slack app manifest to create the app from
  backup FILE
            write a consistent copy of the database (CAKEGATE_DB, or etcd at one revision)
            as a bbolt file, also while the bot runs
  audit export [--since TIME] [--request R42]
            print the audit log as JSON lines
  audit verify
            check the audit log's hash chain; names the first broken event
  migrate --to etcd
            copy the bbolt database (CAKEGATE_DB) into etcd (CAKEGATE_ETCD_*), with cakegate stopped
  version   print the version

Settings come from the environment; see README.md.
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
		if err := sandbox.Demo(ctx, stdout); err != nil {
			fmt.Fprintln(stderr, "demo failed:", err)
			return 1
		}
		return 0
	case "check-config":
		return app.CheckConfig(ctx, getenv, stdout)
	case "manifest":
		return app.Manifest(args, stdout, stderr)
	case "backup":
		return app.Backup(args, getenv, stdout, stderr)
	case "audit":
		return app.Audit(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return app.Migrate(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "cakegate", app.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "cakegate: unknown command %q\n\n%s", cmd, usage)
	return 2
}
