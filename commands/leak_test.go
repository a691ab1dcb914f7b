package commands_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

func TestLeak(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	token := commandstest.TokenOf(r.Grant.APIUserID).Reveal()
	if r.Grant.Fingerprint != commands.Fingerprint(token) {
		t.Fatalf("fingerprint %q, want the token's SHA-256", r.Grant.Fingerprint)
	}

	t.Run("NoMatch", func(t *testing.T) {
		audit := len(e.store.AuditActions(r.ID))
		other := strings.Repeat("ab12", 10) // 40 hex characters, not a live token
		if got := e.svc.FindLeaks(ctx, "a build id "+other+" and a uuid 123e4567-e89b-12d3-a456-426614174000"); len(got) != 0 {
			t.Fatalf("got %v, want no match", got)
		}
		if len(e.store.AuditActions(r.ID)) != audit {
			t.Fatal("a message without a token was recorded")
		}
	})

	matches := e.svc.FindLeaks(ctx, "can someone check why `curl -H 'Authorization: Token "+token+"'` fails?")
	if len(matches) != 1 || matches[0].Request != r.ID {
		t.Fatalf("got %v, want %s", matches, r.ID)
	}
	where := commands.Leak{Channel: "C0GENERAL", TS: "1700000000.000100"}
	got, err := e.svc.RevokeLeaked(ctx, matches[0], where)
	if err != nil || got.State != commands.StateRevoked || got.DecisionNote != commands.LeakedReason {
		t.Fatalf("got %v, %v; want revoked, leaked", got, err)
	}
	if e.datacake.Count() != 0 {
		t.Fatal("the leaked token's API user still exists")
	}
	if err := e.svc.ReportLeak(ctx, r.ID, where, "https://acme.slack.com/archives/C0GENERAL/p1700000000000100"); err != nil {
		t.Fatal(err)
	}
	var toRequester, toChannel bool
	for _, n := range e.store.Notifications(r.ID) {
		has := strings.Contains(n.Text, "<#C0GENERAL>") && strings.Contains(n.Text, "p1700000000000100")
		toRequester = toRequester || (n.Kind == commands.NotifyRequester && has && strings.Contains(n.Text, "delete that message"))
		toChannel = toChannel || (n.Kind == commands.NotifyApprovers && has)
		if strings.Contains(n.Text, token) {
			t.Fatalf("a notification holds the token: %q", n.Text)
		}
	}
	if !toRequester || !toChannel {
		t.Fatalf("told requester %v, channel %v", toRequester, toChannel)
	}
	// Seen again (the message edited, or posted twice): already revoked, nothing more.
	if again := e.svc.FindLeaks(ctx, token); len(again) != 0 {
		t.Fatalf("a revoked token still matches: %v", again)
	}
}

// TestLeakWatchAtStart: a cakegate started on a database with live grants recognises their
// tokens, and a re-issued grant's new token replaces the old.
func TestLeakWatchAtStart(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	token := commandstest.TokenOf(r.Grant.APIUserID).Reveal()
	restarted := &commands.Service{Policy: e.svc.Policy, Store: e.store, Datacake: e.datacake, Clock: e.clock, Installation: testInstallation}
	if err := restarted.WatchLeaks(ctx); err != nil {
		t.Fatal(err)
	}
	if got := restarted.FindLeaks(ctx, token); len(got) != 1 {
		t.Fatalf("after a restart: %v", got)
	}
	re, err := e.svc.Reissue(ctx, r.ID, carol, e.notifier.Show)
	if err != nil {
		t.Fatal(err)
	}
	newToken := commandstest.TokenOf(re.Grant.APIUserID).Reveal()
	if got := e.svc.FindLeaks(ctx, newToken); len(got) != 1 {
		t.Fatal("the re-issued token is not watched")
	}
	if m := e.svc.FindLeaks(ctx, token); len(m) == 1 {
		if _, err := e.svc.RevokeLeaked(ctx, m[0], commands.Leak{Channel: "C1", TS: "1"}); err == nil {
			t.Fatal("the old, deleted token revoked the re-issued grant")
		}
	}
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateActive {
		t.Fatalf("got %s", got.State)
	}
}

// TestLeakOfATokenAnotherReplicaRevealed: with several replicas on one store, a message
// event can reach a replica that did not reveal the token. It loads the fingerprints again
// (at most every LeakReloadEvery) rather than waiting for the next reconcile.
func TestLeakOfATokenAnotherReplicaRevealed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	other := &commands.Service{Policy: e.svc.Policy, Store: e.store, Datacake: e.datacake, Clock: e.clock, Installation: testInstallation}
	if got := other.FindLeaks(ctx, "nothing yet"); len(got) != 0 {
		t.Fatal(got)
	}
	r := e.active(t) // revealed on e.svc, not on other
	token := commandstest.TokenOf(r.Grant.APIUserID).Reveal()
	if got := other.FindLeaks(ctx, token); len(got) != 0 {
		t.Fatalf("reloaded sooner than LeakReloadEvery: %v", got)
	}
	e.clock.Advance(commands.LeakReloadEvery)
	if got := other.FindLeaks(ctx, token); len(got) != 1 || got[0].Request != r.ID {
		t.Fatalf("the other replica does not recognise the token: %v", got)
	}
}

// TestLeakMarkedSurvivesACrash: the transport marks a leaked grant before it acknowledges
// the message event, which Slack will not deliver again. If the process dies before the
// API user is deleted, the next reconcile finishes the revocation.
func TestLeakMarkedSurvivesACrash(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	token := commandstest.TokenOf(r.Grant.APIUserID).Reveal()
	matches := e.svc.FindLeaks(ctx, token)
	if len(matches) != 1 {
		t.Fatalf("got %v", matches)
	}
	if _, err := e.svc.MarkLeaked(ctx, matches[0], commands.Leak{Channel: "C0GENERAL", TS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	// The crash: FinishLeaked never runs. A restarted cakegate reconciles.
	restarted := &commands.Service{Policy: e.svc.Policy, Store: e.store, Datacake: e.datacake, Clock: e.clock, Installation: testInstallation}
	if _, err := restarted.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateRevoked || got.DecisionNote != commands.LeakedReason || e.datacake.Count() != 0 {
		t.Fatalf("got %s (%q) with %d API users; want revoked as leaked, none left", got.State, got.DecisionNote, e.datacake.Count())
	}
}

// heldLoads counts the loads of the fingerprints (each reads the active grants once), and
// while hold is set keeps every load waiting until hold is closed.
type heldLoads struct {
	*commandstest.Store
	loads atomic.Int32
	hold  chan struct{}
}

func (s *heldLoads) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if st == commands.StateActive {
		s.loads.Add(1)
	}
	if s.hold != nil {
		select {
		case <-s.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.InState(ctx, st)
}

// TestLeakReloadIsShared: a burst of messages with token-like text that matches no known
// token, arriving at once when the fingerprints are due for a reload, makes one reload,
// which every message waits for and is matched against; a message shortly after it makes
// none.
func TestLeakReloadIsShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t)
		store := &heldLoads{Store: e.store}
		other := &commands.Service{Policy: e.svc.Policy, Store: store, Datacake: e.datacake, Clock: e.clock, Installation: testInstallation}
		if err := other.WatchLeaks(ctx); err != nil {
			t.Fatal(err)
		}
		r := e.active(t) // revealed on e.svc, not on other: only a reload finds it
		token := commandstest.TokenOf(r.Grant.APIUserID).Reveal()
		e.clock.Advance(commands.LeakReloadEvery)

		const burst = 50
		store.hold = make(chan struct{})
		found := make(chan []commands.LeakMatch, burst)
		for i := range burst {
			text := fmt.Sprintf("build %040x failed", i+1) // token-like, no live token
			if i == burst/2 {
				text = "does this work? " + token
			}
			go func() {
				ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				found <- other.FindLeaks(ctx, text)
			}()
		}
		synctest.Wait() // every message is waiting for a load
		reloads := store.loads.Load() - 1
		close(store.hold)
		var matched []commands.LeakMatch
		for range burst {
			matched = append(matched, <-found...)
		}
		if reloads != 1 {
			t.Fatalf("%d messages at once started %d reloads, want 1", burst, reloads)
		}
		if len(matched) != 1 || matched[0].Request != r.ID {
			t.Fatalf("got %v, want the one message with %s's token found by the reload", matched, r.ID)
		}
		if got := other.FindLeaks(ctx, fmt.Sprintf("build %040x failed", burst+1)); len(got) != 0 || store.loads.Load() != 2 {
			t.Fatalf("a message right after the reload: got %v after %d loads, want no match and no new load", got, store.loads.Load())
		}
	})
}
