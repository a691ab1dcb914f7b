package bot_test

import (
	"strings"
	"testing"
	"time"
)

// TestOutbox429HoldsOnlyItsConversation: Slack answers 429 for the direct message to the
// requester; the approvals channel's news behind it is delivered in the same run instead
// of waiting for the DM's Retry-After.
func TestOutbox429HoldsOnlyItsConversation(t *testing.T) {
	f := newHomeFixture(t)
	ctx := homeContext(t)
	r1 := f.request(t, "U0ALICE")
	if _, err := f.bot.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	// Queued now: R1's message update, the DM telling Alice, then R2's approval request.
	if _, err := f.svc.Deny(ctx, r1.ID, "U0ANN", ""); err != nil {
		t.Fatal(err)
	}
	r2 := f.request(t, "U0CAROL")
	f.slack.RateLimitNext("conversations.open", 1, 30*time.Second)
	if _, err := f.bot.DeliverOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	posted := false
	for _, m := range f.slack.Messages("C0APPROVALS") {
		if strings.HasPrefix(m.Text, r2.ID.String()+":") {
			posted = true
		}
	}
	if !posted {
		t.Fatalf("%s's approval request waited behind a 429 for Alice's DM", r2.ID)
	}
	if dms := f.slack.DMs("U0ALICE"); len(dms) != 0 {
		t.Fatalf("Alice got %d DMs during the 429", len(dms))
	}
}
