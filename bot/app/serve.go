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
// ends. It returns the exit status.
func Serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
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
	cfg, err := LoadConfig(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start:\n%s\n", indent(err.Error()))
		return 2
	}
	log := NewLogger(cfg, stderr)
	a, err := New(cfg, log, Options{})
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start:\n%s\n", indent(err.Error()))
		if errors.As(err, new(configError)) {
			return 2 // found only with the store open, but a setting to fix all the same
		}
		return 1
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "cakegate cannot start: CAKEGATE_ADDR=%s: %v\n", cfg.Addr, err)
		return 1
	}
	if err := a.Run(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		var se *startupError
		if errors.As(err, &se) {
			log.Error("cakegate cannot start", "err", err)
			return 1
		}
		log.Error("cakegate stopped", "err", err)
		return 1
	}
	return 0
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
