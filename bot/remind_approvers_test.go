package bot

import (
	"slices"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestRequestConfirmationOffersRemind: a pending request's confirmation carries the
// requester's "Remind approvers" button; one granted at once has nothing to remind of.
func TestRequestConfirmationOffersRemind(t *testing.T) {
	r := sampleRequest()
	m := requestConfirmationMessage(r)
	var got []string
	for _, b := range buttons(t, m.blocks) {
		got = append(got, b.ActionID+" "+b.Value)
	}
	if want := []string{ActionRemindApprovers + " " + r.ID.String()}; !slices.Equal(got, want) {
		t.Fatalf("pending confirmation buttons %q, want %q", got, want)
	}
	if m.fallback != requestConfirmation(r) {
		t.Fatalf("fallback %q differs from the confirmation text", m.fallback)
	}
	r.State = commands.StateFailed
	if m := requestConfirmationMessage(r); len(m.blocks) != 0 {
		t.Fatalf("a failed request's confirmation has blocks: %d", len(m.blocks))
	}
}
