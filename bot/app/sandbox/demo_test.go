package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// slackMarkup is what a person never reads in Slack: mentions, channel links and dates in
// their raw form.
var slackMarkup = regexp.MustCompile(`<[@#!][^>]*>`)

// TestDemo plays `cakegate demo` and checks that each part of the story shows, as a person
// would read it.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := Demo(context.Background(), &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(demoDB(t, text))) })
	mustContain(t, "demo", text,
		"R1 is waiting for approval",
		"you cannot approve your own request R1",
		"[Reveal token]",
		"Authorization: Token",
		"Datacake workspace holds 1 cakegate API user\n",
		"expires 2026-11-27 17:00 UTC, in about 1h",
		"[Approve extension]",
		"R1 is extended by 4h",
		"has expired",
		"Datacake workspace holds 0 cakegate API users",
		"denied your request R2 for role device-editor. Reason: use the lab account",
		"R3 · viewer for 2h", "*Template*\n    │ freezer-check",
		"Access review",
		"old-ci-uploader",
		"Deleted API user old-ci-uploader",
		"Deleted by @ann",
		"the audit log: 15 events",
		"approved by bob",
		"demo finished",
		"cakegate audit export", "cakegate audit verify")
	if m := slackMarkup.FindString(text); m != "" {
		t.Errorf("the demo shows raw Slack markup %q:\n%s", m, text)
	}
}

// demoDB is the database path the demo's closing lines name.
func demoDB(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`CAKEGATE_DB=(\S+) cakegate audit verify`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo does not say where its database is:\n%s", out)
	}
	return m[1]
}

// TestDemoBinary runs `cakegate demo` as a user does, from the built binary, then the
// commands it ends with, on the database it left.
func TestDemoBinary(t *testing.T) {
	out, errOut, code := runBinary(t, nil, "demo")
	if code != 0 || !strings.Contains(out, "demo finished") {
		t.Fatalf("cakegate demo: exit %d\n%s%s", code, out, errOut)
	}
	db := demoDB(t, out)
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(db)) })
	env := []string{"CAKEGATE_DB=" + db}

	export, errOut, code := runBinary(t, env, "audit", "export")
	if code != 0 || strings.Count(export, "\n") != 15 {
		t.Fatalf("audit export: exit %d, want 15 events:\n%s%s", code, export, errOut)
	}
	if m := slackMarkup.FindString(export); m != "" {
		t.Errorf("the audit log stores Slack markup %q, not plain user ids:\n%s", m, export)
	}
	if !strings.Contains(export, `approved by U0BOB`) {
		t.Errorf("the extension's approver is not in the audit log as a user id:\n%s", export)
	}
	if got, errOut, code := runBinary(t, env, "audit", "export", "--request", "R1"); code != 0 || strings.Count(got, "\n") != 9 {
		t.Errorf("audit export --request R1: exit %d, want R1's 9 events:\n%s%s", code, got, errOut)
	}
	if got, errOut, code := runBinary(t, env, "audit", "verify"); code != 0 || !strings.Contains(got, "audit log intact: 15 events") {
		t.Errorf("audit verify: exit %d:\n%s%s", code, got, errOut)
	}
	got, errOut, code := runBinary(t, env, "audit", "export", "--request", "R99")
	if code != 2 || got != "" || !strings.Contains(errOut, "there is no request R99 in "+db) {
		t.Errorf("audit export --request R99: exit %d, stdout %q, stderr %q; want exit 2 saying there is no R99", code, got, errOut)
	}
}
