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

// TestHelpAndDocsListEveryCommandAndFlag: the operator's reference (docs/running.md,
// "Commands") names every command `cakegate help` lists and every flag, and `cakegate help`
// names each flag the flag-parsing subcommands accept (-h prints the flag package's own list).
func TestHelpAndDocsListEveryCommandAndFlag(t *testing.T) {
	doc, err := os.ReadFile("docs/running.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, ok := strings.Cut(string(doc), "\n## Commands\n")
	if !ok {
		t.Fatal(`docs/running.md has no "Commands" section`)
	}
	ref, _, _ = strings.Cut(ref, "\n## ")
	help := runCakegate(t, "help").stdout
	commands, _, _ := strings.Cut(help, "\nSettings come from")
	names := regexp.MustCompile(`(?m)^  ([a-z][a-z-]*)`).FindAllStringSubmatch(commands, -1)
	if len(names) < 8 {
		t.Fatalf("cakegate help lists %d commands:\n%s", len(names), help)
	}
	for _, n := range names {
		if !strings.Contains(ref, "cakegate "+n[1]) && !strings.Contains(ref, "cakegate ["+n[1]+"]") {
			t.Errorf("docs/running.md's Commands does not list cakegate %s", n[1])
		}
	}
	for _, f := range regexp.MustCompile(`--[a-z][a-z-]+`).FindAllString(commands, -1) {
		if !strings.Contains(ref, f) {
			t.Errorf("docs/running.md's Commands does not list %s, which cakegate help names", f)
		}
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for _, args := range [][]string{{"serve", "-h"}, {"manifest", "-h"}, {"audit", "export", "-h"}} {
		got := runCakegate(t, args...)
		flags := flagLine.FindAllStringSubmatch(got.stderr, -1)
		if len(flags) == 0 {
			t.Fatalf("cakegate %v listed no flags:\n%s", args, got.stderr)
		}
		for _, f := range flags {
			if name := "--" + f[1]; !strings.Contains(help, name) {
				t.Errorf("cakegate help does not list %s %s", args[0], name)
			}
		}
	}
}
