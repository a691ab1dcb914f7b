package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// failingWrites refuses every write while fail is set, as a full disk would, and tells
// refused (if set) each time it refuses one.
type failingWrites struct {
	*commandstest.Store
	fail    atomic.Bool
	refused chan struct{}
}

func (s *failingWrites) Update(ctx context.Context, id commands.RequestID, fn func(*commands.Request) (commands.Change, error)) (*commands.Request, error) {
	if s.fail.Load() {
		if s.refused != nil {
			s.refused <- struct{}{}
		}
		return nil, errors.New("write: no space left on device")
	}
	return s.Store.Update(ctx, id, fn)
}

// leakedGrant stores an active grant whose token is token, its API user in dc.
func leakedGrant(t *testing.T, store *commandstest.Store, dc *commandstest.Datacake, token string) *commands.Request {
	t.Helper()
	apiUser := dc.AddUser("cakegate-k3f9q2-r1-u0alice", time.Now())
	r := &commands.Request{
		Requester: "U0ALICE", Workspace: "ws-1", Role: "viewer", State: commands.StateActive,
		Grant: &commands.Grant{APIUserID: apiUser, APIUserName: "cakegate-k3f9q2-r1-u0alice", ExpiresAt: time.Now().Add(time.Hour), Fingerprint: commands.Fingerprint(token)},
	}
	if err := store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	return r
}

// recordedBeforeAck are the events whose effect is recorded before they are acknowledged,
// because Slack does not send an acknowledged event again: a message holding a live token
// (the leak), and a user_change deactivating the token's holder (found by the simulation: a
// full disk at the event left a leaver's request pending until the daily leavers sweep).
// Each gives the inner event for grant r, and the reason it must end with.
var recordedBeforeAck = []struct {
	name   string
	event  func(t *testing.T, slack *slacktest.Server, r *commands.Request) json.RawMessage
	reason string
}{
	{"Leak", func(t *testing.T, slack *slacktest.Server, r *commands.Request) json.RawMessage {
		slack.AddChannel("C0GENERAL", "general")
		_, ev, err := slack.UserPosts(r.Requester, "C0GENERAL", "why does this fail? "+ackToken)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}, commands.LeakedReason},
	{"Deactivation", func(t *testing.T, _ *slacktest.Server, r *commands.Request) json.RawMessage {
		return fmt.Appendf(nil, `{"type":"user_change","user":{"id":%q,"deleted":true}}`, r.Requester)
	}, commands.DeactivatedReason},
}

const ackToken = "0123456789abcdef0123456789abcdef01234567"

// TestNotRecordedIsNotAcknowledged: when the store refuses the write, such an event is
// answered 503; Slack's next delivery of it is taken, and the token dies.
func TestNotRecordedIsNotAcknowledged(t *testing.T) {
	for _, c := range recordedBeforeAck {
		t.Run(c.name, func(t *testing.T) {
			f := newHTTPFixture(t)
			ctx := context.Background()
			dc := commandstest.NewDatacake()
			r := leakedGrant(t, f.store, dc, ackToken)
			store := &failingWrites{Store: f.store}
			f.svc.Store, f.svc.Datacake = store, dc
			body, err := f.slack.EventCallback(c.event(t, f.slack, r))
			if err != nil {
				t.Fatal(err)
			}

			store.fail.Store(true)
			if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, nil); status != http.StatusServiceUnavailable {
				t.Fatalf("an event that could not be recorded was answered %d %q, want 503 so that Slack sends it again", status, answer)
			}
			store.fail.Store(false)
			retry := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_error"}}
			if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, retry); status != http.StatusOK {
				t.Fatalf("Slack's next delivery was answered %d %q, want 200", status, answer)
			}
			f.settle(t)
			got, err := f.store.Get(ctx, r.ID)
			if err != nil || got.State != commands.StateRevoked || got.DecisionNote != c.reason || dc.Count() != 0 {
				t.Fatalf("got %v (%v) with %d API users; want revoked (%s), none left", got, err, dc.Count(), c.reason)
			}
		})
	}
}

// TestNotRecordedIsNotAcknowledgedSocketMode: over Socket Mode the envelope of such an event
// is left unacknowledged, and Slack's next delivery of it, with the same envelope id, is
// taken rather than dropped as a repeat.
func TestNotRecordedIsNotAcknowledgedSocketMode(t *testing.T) {
	for _, c := range recordedBeforeAck {
		t.Run(c.name, func(t *testing.T) {
			base := commandstest.NewStore()
			dc := commandstest.NewDatacake()
			r := leakedGrant(t, base, dc, ackToken)
			store := &failingWrites{Store: base, refused: make(chan struct{}, 1)}
			svc := &commands.Service{
				Policy: &commands.Policy{Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC},
				Store:  store, Datacake: dc, Clock: commands.SystemClock{},
			}
			f := newSocketFixture(t, svc, bot.Config{Requests: store, Outbox: store})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ev := c.event(t, f.slack, r)

			store.fail.Store(true)
			env, err := f.slack.SendEvent(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-store.refused: // it could not be recorded
			case <-ctx.Done():
				t.Fatal("the event was not taken up")
			}
			store.fail.Store(false)
			if err := f.slack.ReplayEnvelope(ctx, env); err != nil {
				t.Fatal(err)
			}
			if _, err := f.slack.WaitAck(ctx, env); err != nil {
				t.Fatalf("Slack's next delivery was not acknowledged: %v", err)
			}
			if err := f.bot.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := base.Get(ctx, r.ID)
			if err != nil || got.State != commands.StateRevoked || got.DecisionNote != c.reason || dc.Count() != 0 {
				t.Fatalf("got %v (%v) with %d API users; want revoked (%s), none left", got, err, dc.Count(), c.reason)
			}
		})
	}
}
