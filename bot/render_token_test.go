package bot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// renderSecret is the token of the tests: distinctive, so that a search cannot miss it.
const renderSecret = "dct_Zq9RENDERSECRET0123456789abcdef"

func TestTokenMessage(t *testing.T) {
	fake := newFakeSlack(t)
	r := activeRequest()
	fallback, blocks := TokenMessage(r, commands.Token(renderSecret), "")
	checkMessage(t, fake, fallback, blocks)

	if strings.Contains(fallback, renderSecret) {
		t.Fatalf("fallback text holds the token: %q", fallback)
	}
	all := texts(t, blocks)
	joined := strings.Join(all, "\n")
	// Once on its own in a code block, once in the header line; the curl example uses a variable.
	if n := strings.Count(marshalBlocks(t, blocks), renderSecret); n != 2 {
		t.Errorf("token appears %d times in the blocks, want 2:\n%s", n, joined)
	}
	if !slices.Contains(all, "```"+renderSecret+"```") {
		t.Errorf("no code block holding just the token:\n%s", joined)
	}
	for _, want := range []string{
		"Your token for R42 (role viewer) is ready",
		"`cakegate-r42-u0alice`",
		slackDate(r.Grant.ExpiresAt),
		"workspace: view only; devices: view",
		"Cold room (SN-001), Freezer 2, SN-003",
		"`Authorization: Token " + renderSecret + "`",
		"https://api.datacake.co/graphql/",
		`-H "Authorization: Token $DATACAKE_TOKEN"`,
		"It is shown only this once; cakegate does not keep it. It stops working at " + slackDate(r.Grant.ExpiresAt) + ".",
		"/cakegate revoke R42",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("token message lacks %q:\n%s", want, joined)
		}
	}
	if bs := buttons(t, blocks); len(bs) != 0 {
		t.Errorf("token message has buttons %v", actionIDs(bs))
	}
}

func TestReminderMessage(t *testing.T) {
	fake := newFakeSlack(t)
	r := activeRequest()
	now := r.Grant.ExpiresAt.Add(-time.Hour)
	fallback, blocks := ReminderMessage(r, time.Hour, now)
	checkMessage(t, fake, fallback, blocks)

	bs := buttons(t, blocks)
	if got, want := actionIDs(bs), []string{ActionExtend, ActionRevoke}; !slices.Equal(got, want) {
		t.Fatalf("buttons %v, want %v", got, want)
	}
	for _, b := range bs {
		if b.Value != "R42;active" {
			t.Errorf("button %s has value %q, want R42;active", b.ActionID, b.Value)
		}
	}
	if !bs[1].Confirm {
		t.Errorf("Revoke in the reminder has no confirm dialog")
	}
	joined := strings.Join(texts(t, blocks), "\n")
	for _, want := range []string{"R42", "expires " + slackDate(r.Grant.ExpiresAt), "in about 1h"} {
		if !strings.Contains(joined, want) {
			t.Errorf("reminder lacks %q:\n%s", want, joined)
		}
	}
	if !strings.Contains(fallback, "expires") || !strings.Contains(fallback, "R42") {
		t.Errorf("fallback %q does not say what expires", fallback)
	}

	t.Run("NoGrant", func(t *testing.T) {
		r := sampleRequest()
		fallback, blocks := ReminderMessage(r, 24*time.Hour, renderT0)
		checkMessage(t, fake, fallback, blocks)
		if !strings.Contains(fallback, "in about 1d") {
			t.Errorf("fallback %q does not use the lead time", fallback)
		}
	})
}

func TestTokenMessageUsesTheConfiguredEndpoint(t *testing.T) {
	r := &commands.Request{ID: 3, Role: "viewer", Workspace: "ws"}
	_, blocks := TokenMessage(r, commands.Token(renderSecret), "https://api.datacake.de/graphql/")
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "https://api.datacake.de/graphql/") || strings.Contains(string(raw), "datacake.co") {
		t.Fatalf("the token DM does not point at the EU host:\n%s", raw)
	}
}
