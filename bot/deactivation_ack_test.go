package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestDeactivationNotRecordedIsNotAcknowledged: Slack does not send an acknowledged event
// again, so a user_change deactivating someone is acknowledged only once their access is
// recorded as ended. When the store refuses the write, the event is answered 503; Slack's
// next delivery is taken, and the grant is revoked (found by the simulation: a full disk
// at the event left a leaver's request pending until the daily leavers sweep).
func TestDeactivationNotRecordedIsNotAcknowledged(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	dc := commandstest.NewDatacake()
	r := leakedGrant(t, f.store, dc, "0123456789abcdef0123456789abcdef01234567")
	store := &failingWrites{Store: f.store}
	f.svc.Store, f.svc.Datacake = store, dc
	body, err := f.slack.EventCallback(fmt.Appendf(nil, `{"type":"user_change","user":{"id":%q,"deleted":true}}`, r.Requester))
	if err != nil {
		t.Fatal(err)
	}

	store.fail.Store(true)
	if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, nil); status != http.StatusServiceUnavailable {
		t.Fatalf("a deactivation that could not be recorded was answered %d %q, want 503 so that Slack sends it again", status, answer)
	}
	store.fail.Store(false)
	retry := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_error"}}
	if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, retry); status != http.StatusOK {
		t.Fatalf("Slack's next delivery was answered %d %q, want 200", status, answer)
	}
	f.settle(t)
	got, err := f.store.Get(ctx, r.ID)
	if err != nil || got.State != commands.StateRevoked || got.DecisionNote != commands.DeactivatedReason || dc.Count() != 0 {
		t.Fatalf("got %v (%v) with %d API users; want revoked as deactivated, none left", got, err, dc.Count())
	}
}
