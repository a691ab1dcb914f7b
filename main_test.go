package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
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
	got = runCakegate(t, "version", "--json")
	var v struct{ Version, Go string }
	if err := json.Unmarshal([]byte(got.stdout), &v); got.code != 0 || err != nil || v.Version != app.Version() || v.Go == "" {
		t.Errorf("version --json: exit %d, stdout %q (%v)", got.code, got.stdout, err)
	}
	if got = runCakegate(t, "version", "--yaml"); got.code != 2 {
		t.Errorf("version --yaml: exit %d, want 2", got.code)
	}
	// demo --help explains the demo instead of playing it; anything else is refused.
	got = runCakegate(t, "demo", "--help")
	if got.code != 0 || !strings.Contains(got.stdout, "usage: cakegate demo") || strings.Contains(got.stdout, "alice") {
		t.Errorf("demo --help: exit %d, stdout %q", got.code, got.stdout)
	}
	if got = runCakegate(t, "demo", "--fast"); got.code != 2 || !strings.Contains(got.stderr, "usage: cakegate demo") {
		t.Errorf("demo --fast: exit %d, stderr %q; want 2 with the demo's usage", got.code, got.stderr)
	}
	got = runCakegate(t, "frobnicate")
	if got.code != 2 || !strings.Contains(got.stderr, `unknown command "frobnicate"`) || !strings.Contains(got.stderr, "usage: cakegate") {
		t.Errorf("unknown command: exit %d, stderr %q; want 2 with the usage", got.code, got.stderr)
	}
}

// TestHelpAndReadmeListEveryFlag asks each subcommand for its flags (-h prints the flag
// package's own list) and checks that `cakegate help` and the README name each one.
func TestHelpAndReadmeListEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	help := runCakegate(t, "help").stdout
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for _, args := range [][]string{{"serve", "-h"}, {"manifest", "-h"}, {"audit", "export", "-h"}} {
		got := runCakegate(t, args...)
		flags := flagLine.FindAllStringSubmatch(got.stderr, -1)
		if len(flags) == 0 {
			t.Fatalf("cakegate %v listed no flags:\n%s", args, got.stderr)
		}
		for _, f := range flags {
			name := "--" + f[1]
			if !strings.Contains(help, name) {
				t.Errorf("cakegate help does not list %s %s", args[0], name)
			}
			if !strings.Contains(string(readme), name) {
				t.Errorf("README.md does not list %s %s", args[0], name)
			}
		}
	}
}
