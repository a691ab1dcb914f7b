package sandbox

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCommandNameIsOneSetting: installed as /ask (CAKEGATE_COMMAND), cakegate names /ask in
// help, errors, lists, the Home tab and direct messages, and never /cakegate.
func TestCommandNameIsOneSetting(t *testing.T) {
	s := startSandbox(t, sandboxOptions{command: "/ask"})
	ctx := testContext(t)
	answers := map[string]string{}
	for _, text := range []string{"help", "roles", "status R99", "list", "frobnicate"} {
		got, err := s.slash(ctx, sandboxAlice, text)
		if err != nil {
			t.Fatal(err)
		}
		answers[text] = got
	}
	mustContain(t, "help", answers["help"], "/ask request")
	mustContain(t, "roles", answers["roles"], "/ask request role=viewer")
	mustContain(t, "status R99", answers["status R99"], "/ask list")
	mustContain(t, "list", answers["list"], "/ask request")
	mustContain(t, "unknown command", answers["frobnicate"], "/ask")
	if err := s.openHome(ctx, sandboxAlice); err != nil {
		t.Fatal(err)
	}
	if _, err := s.home(ctx, sandboxAlice, "/ask"); err != nil {
		t.Fatal(err)
	}
	// A message from the use cases, through the outbox: the pending timeout.
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="x"`); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(49 * time.Hour)
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "timed out") && strings.Contains(t, "/ask request") }); err != nil {
		t.Fatal(err)
	}

	canonical := regexp.MustCompile("/cakegate[ `.,)]|/cakegate$")
	for text, got := range answers {
		if canonical.MatchString(got) {
			t.Errorf("%s: the answer names /cakegate:\n%s", text, got)
		}
	}
	for _, c := range s.slack.Calls() {
		all := string(c.Blocks)
		for _, v := range c.Params {
			all += "\n" + v
		}
		if canonical.MatchString(all) {
			t.Errorf("%s names /cakegate: %s", c.Method, all)
		}
	}
}
