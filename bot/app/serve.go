package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
)

// Serve is `cakegate serve`: it builds cakegate from the environment and runs it until ctx
// ends. It returns the exit status (exit.go): 2 for what the operator must fix (the
// settings, the policy, the database file, a refused token, another process on the
// database or the port), 1 for a failure a restart may mend.
func Serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logFormat := fs.String("log-format", "", "log as text or json (default: CAKEGATE_LOG_FORMAT, else text)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cakegate serve [--log-format text|json]")
		return usageExit(err)
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
		return ExitFix
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start:\n%s\n", indent(err.Error()))
		return ExitFix
	}
	log := NewLogger(cfg, stderr)
	for _, w := range cfg.modeWarnings() {
		log.Warn(w)
	}
	a, err := New(cfg, log, Options{})
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start:\n%s\n", indent(err.Error()))
		return exitCodeOf(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start: %s\n", listenProblem(cfg.Addr, err))
		return ExitFix
	}
	if err := a.Run(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		var se *startupError
		if errors.As(err, &se) {
			log.Error("cakegate cannot start", "err", err)
		} else {
			log.Error("cakegate stopped", "err", err)
		}
		return exitCodeOf(err)
	}
	return ExitOK
}

// NewLogger is cakegate's logger for cfg, writing to w: text or JSON, with every secret in
// cfg redacted.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: redactor(cfg.secrets())}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// indent lists the lines of s as items.
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
