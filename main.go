// Command cakegate is a Slack bot that hands out scoped, time-limited Datacake API tokens
// with an owner's approval. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	// The policy names a time zone; carry the database for hosts without one.
	_ "time/tzdata"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

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
            write a consistent copy of the database (CAKEGATE_DB), also while the bot runs
  audit export [--since TIME] [--request R42]
            print the audit log as JSON lines
  audit verify
            check the audit log's hash chain; names the first broken event
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
		return serve(ctx, args, getenv, stderr)
	case "demo":
		if err := runDemo(ctx, stdout); err != nil {
			fmt.Fprintln(stderr, "demo failed:", err)
			return 1
		}
		return 0
	case "check-config":
		return runCheckConfig(ctx, getenv, stdout)
	case "manifest":
		return runManifest(args, stdout, stderr)
	case "backup":
		return runBackup(args, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "cakegate", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "cakegate: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logFormat := fs.String("log-format", "", "log as text or json (default: CAKEGATE_LOG_FORMAT, else text)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cakegate serve [--log-format text|json]")
		return 2
	}
	switch *logFormat {
	case "":
	case "text", "json":
		env := getenv
		getenv = func(k string) string {
			if k == "CAKEGATE_LOG_FORMAT" {
				return *logFormat
			}
			return env(k)
		}
	default:
		fmt.Fprintf(stderr, "cakegate serve: --log-format %q: use text or json.\n", *logFormat)
		return 2
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start:\n%s\n", indent(err.Error()))
		return 2
	}
	log := newLogger(cfg, stderr)
	a, err := newApp(cfg, log, appOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start:\n%s\n", indent(err.Error()))
		return 1
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start: CAKEGATE_ADDR=%s: %v\n", cfg.Addr, err)
		return 1
	}
	if err := a.run(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("cakegate stopped", "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: redactor(cfg.secrets())}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func indent(s string) string {
	out := "  - "
	for _, c := range s {
		out += string(c)
		if c == '\n' {
			out += "  - "
		}
	}
	return out
}
