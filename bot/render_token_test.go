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

func TestTokenView(t *testing.T) {
	fake := newFakeSlack(t)
	r := activeRequest()
	blocks := tokenBlocks(r, commands.Token(renderSecret), "")
	checkMessage(t, fake, "token", blocks)

	all := texts(t, blocks)
	joined := strings.Join(all, "\n")
	// Once, on its own in a code block; the curl example uses a variable.
	if n := strings.Count(marshalBlocks(t, blocks), renderSecret); n != 1 {
		t.Errorf("token appears %d times in the blocks, want 1:\n%s", n, joined)
	}
	if !slices.Contains(all, "```"+renderSecret+"```") {
		t.Errorf("no code block holding just the token:\n%s", joined)
	}
	for _, want := range []string{
		"`cakegate-r42-u0alice`",
		slackDate(r.Grant.ExpiresAt),
		"workspace: view only; devices: view",
		"Cold room (SN-001), Freezer 2, SN-003",
		"Endpoint: https://api.datacake.co/graphql/",
		`-H "Authorization: Token $DATACAKE_TOKEN"`,
		"shown only in this window and cakegate does not keep it. It stops working at " + slackDate(r.Grant.ExpiresAt) + ".",
		"Click *Reveal token* again to re-issue it",
		"/cakegate revoke R42",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("token view lacks %q:\n%s", want, joined)
		}
	}
	if bs := buttons(t, blocks); len(bs) != 0 {
		t.Errorf("token view has buttons %v", actionIDs(bs))
	}
	v := tokenView(r, commands.Token(renderSecret), "")
	if v.Type != "modal" || len([]rune(v.Title.Text)) > 24 {
		t.Errorf("token view %+v is not a modal with a title Slack takes", v)
	}
}

func TestRevealMessage(t *testing.T) {
	fake := newFakeSlack(t)
	r := activeRequest()
	r.State, r.Grant, r.DecidedBy, r.RevealBy = commands.StateApproved, nil, "U0ANN", renderT0.Add(24*time.Hour)
	r.Approvals = []commands.Approval{{User: "U0ANN", At: renderT0}}
	fallback, blocks := RevealMessage(r)
	checkMessage(t, fake, fallback, blocks)
	bs := buttons(t, blocks)
	if got := actionIDs(bs); !slices.Equal(got, []string{ActionReveal}) || bs[0].Value != "R42" {
		t.Fatalf("buttons %v, want one Reveal token for R42", got)
	}
	joined := strings.Join(texts(t, blocks), "\n")
	for _, want := range []string{"R42", "approved by <@U0ANN>", "for 8h", "It works for 8h from the moment you reveal it", slackDate(r.RevealBy)} {
		if !strings.Contains(joined, want) {
			t.Errorf("reveal DM lacks %q:\n%s", want, joined)
		}
	}
	// As the request moves on, the button stays only while a click can do something.
	for state, want := range map[commands.State]bool{commands.StateActive: true, commands.StateLapsed: false, commands.StateRevoked: false, commands.StateProvisioning: false} {
		c := r.Clone()
		c.State = state
		if state == commands.StateActive {
			c.Grant = activeRequest().Grant
		}
		fallback, blocks := RevealMessage(c)
		checkMessage(t, fake, fallback, blocks)
		if got := len(buttons(t, blocks)) == 1; got != want {
			t.Errorf("%s: Reveal button %v, want %v", state, got, want)
		}
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

func TestTokenViewUsesTheConfiguredEndpoint(t *testing.T) {
	r := &commands.Request{ID: 3, Role: "viewer", Workspace: "ws"}
	blocks := tokenBlocks(r, commands.Token(renderSecret), "https://api.datacake.de/graphql/")
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "https://api.datacake.de/graphql/") || strings.Contains(string(raw), "datacake.co") {
		t.Fatalf("the token view does not point at the EU host:\n%s", raw)
	}
}
