package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app"
)

// runResult is what run returned and printed.
type runResult struct {
	code           int
	stdout, stderr string
}

func runCakegate(t *testing.T, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
	return runResult{code, stdout.String(), stderr.String()}
}

func TestRunVersionAndUsage(t *testing.T) {
	got := runCakegate(t, "version")
	if got.code != 0 || got.stdout != "cakegate "+app.Version()+"\n" {
		t.Errorf("version: exit %d, stdout %q", got.code, got.stdout)
	}
	got = runCakegate(t, "help")
	if got.code != 0 || !strings.Contains(got.stdout, "usage: cakegate") {
		t.Errorf("help: exit %d, stdout %q", got.code, got.stdout)
	}
	got = runCakegate(t, "frobnicate")
	if got.code != 2 || !strings.Contains(got.stderr, `unknown command "frobnicate"`) || !strings.Contains(got.stderr, "usage: cakegate") {
		t.Errorf("unknown command: exit %d, stderr %q; want 2 with the usage", got.code, got.stderr)
	}
}
