package bot_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// failingWrites refuses every write while fail is set, as a full disk would.
type failingWrites struct {
	*commandstest.Store
	fail atomic.Bool
}

func (s *failingWrites) Update(ctx context.Context, id commands.RequestID, fn func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	if s.fail.Load() {
		return nil, errors.New("write: no space left on device")
	}
	return s.Store.Update(ctx, id, fn)
}

// TestLeakNotRecordedIsNotAcknowledged: Slack does not send an acknowledged event again, so
// a message holding a live token is acknowledged only once the leak is recorded. When the
// store refuses the write, the event is answered 503; Slack's next delivery of the same
// event is taken, and the token dies.
func TestLeakNotRecordedIsNotAcknowledged(t *testing.T) {
	f := newHTTPFixture(t)
	ctx := context.Background()
	const token = "0123456789abcdef0123456789abcdef01234567"
	dc := commandstest.NewDatacake()
	apiUser := dc.AddUser("cakegate-k3f9q2-r1-u0alice", time.Now())
	r := &commands.Request{
		Requester: "U0ALICE", Workspace: "ws-1", Role: "viewer", State: commands.StateActive,
		Grant: &commands.Grant{APIUserID: apiUser, APIUserName: "cakegate-k3f9q2-r1-u0alice", ExpiresAt: time.Now().Add(time.Hour), Fingerprint: commands.Fingerprint(token)},
	}
	if err := f.store.Create(ctx, r, commands.Change{}); err != nil {
		t.Fatal(err)
	}
	store := &failingWrites{Store: f.store}
	f.svc.Store, f.svc.Datacake = store, dc
	f.slack.AddChannel("C0GENERAL", "general")
	_, ev, err := f.slack.UserPosts("U0ALICE", "C0GENERAL", "why does this fail? "+token)
	if err != nil {
		t.Fatal(err)
	}
	body, err := f.slack.EventCallback(ev)
	if err != nil {
		t.Fatal(err)
	}

	store.fail.Store(true)
	if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, nil); status != http.StatusServiceUnavailable {
		t.Fatalf("a leak that could not be recorded was answered %d %q, want 503 so that Slack sends it again", status, answer)
	}
	store.fail.Store(false)
	retry := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_error"}}
	if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, retry); status != http.StatusOK {
		t.Fatalf("Slack's next delivery was answered %d %q, want 200", status, answer)
	}
	f.settle(t)
	got, err := f.store.Get(ctx, r.ID)
	if err != nil || got.State != commands.StateRevoked || got.DecisionNote != commands.LeakedReason || dc.Count() != 0 {
		t.Fatalf("got %v (%v) with %d API users; want revoked as leaked, none left", got, err, dc.Count())
	}
}
