package sandbox

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemo plays `cakegate demo` and checks that each part of the story shows.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := Demo(context.Background(), &out); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	mustContain(t, "demo", text,
		"R1 is waiting for approval",
		"you cannot approve your own request R1",
		"[Reveal token]",
		"Authorization: Token",
		"Datacake workspace holds 1 cakegate API user(s)",
		"expires 2026-11-27 17:00 UTC, in about 1h",
		"[Approve extension]",
		"R1 is extended by 4h",
		"has expired",
		"Datacake workspace holds 0 cakegate API user(s)",
		"denied your request R2 for role device-editor. Reason: use the lab account",
		"the audit log: 11 events",
		"demo finished")
}

// TestDemoBinary runs `cakegate demo` as a user does, from the built binary.
func TestDemoBinary(t *testing.T) {
	out, errOut, code := runBinary(t, nil, "demo")
	if code != 0 || !strings.Contains(out, "demo finished") {
		t.Fatalf("cakegate demo: exit %d\n%s%s", code, out, errOut)
	}
}
