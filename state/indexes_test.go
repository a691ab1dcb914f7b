package state_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// liveStates are the states InState answers for.
var liveStates = []commands.State{
	commands.StatePending, commands.StateApproved, commands.StateProvisioning, commands.StateActive, commands.StateRevoking,
}

// activate gives r a grant that expires after d and makes it active.
func activate(d time.Duration) func(r *commands.Request) {
	return func(r *commands.Request) {
		r.State = commands.StateActive
		r.Grant = &commands.Grant{APIUserID: "api", CreatedAt: t0, ExpiresAt: t0.Add(d)}
	}
}

func moveTo(s commands.State) func(r *commands.Request) {
	return func(r *commands.Request) { r.State = s }
}

// TestIndexesFollowTransitions walks requests through every edge of the state machine and,
// after each step, checks every finder against what the stored requests say it should answer.
func TestIndexesFollowTransitions(t *testing.T) {
	s := MustOpen(t)
	users := []string{"U1", "U1X", "U2"} // U1 is a prefix of U1X: their lists must not mix
	model := map[commands.RequestID]*commands.Request{}
	for i := range 7 {
		r := newRequest(users[i%len(users)])
		MustCreate(t, s, r)
		model[r.ID] = MustGet(t, s, r.ID)
	}
	assertFinders(t, s, model, "after create")

	steps := []struct {
		id   commands.RequestID
		what string
		fn   func(r *commands.Request)
	}{
		{1, "approve", moveTo(commands.StateProvisioning)},
		{1, "provisioned", activate(8 * time.Hour)},
		{1, "extend", func(r *commands.Request) { r.Grant.ExpiresAt = t0.Add(30 * time.Hour) }},
		{1, "expire", func(r *commands.Request) { r.State = commands.StateRevoking; r.Grant.Ending = commands.StateExpired }},
		{1, "api user deleted", moveTo(commands.StateExpired)},
		{2, "deny", moveTo(commands.StateDenied)},
		{3, "cancel", moveTo(commands.StateCancelled)},
		{4, "time out", moveTo(commands.StateTimedOut)},
		{5, "approve", moveTo(commands.StateProvisioning)},
		{5, "grant recorded before the token left", func(r *commands.Request) {
			r.Grant = &commands.Grant{APIUserID: "u5", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		}},
		{5, "activation never written; failed", moveTo(commands.StateFailed)},
		{6, "approve", moveTo(commands.StateProvisioning)},
		{6, "provisioned", activate(2 * time.Hour)},
		{6, "revoke", moveTo(commands.StateRevoking)},
		{6, "revoke retried later", func(r *commands.Request) { r.Grant.RevokeAttempts++ }},
		{6, "api user deleted", moveTo(commands.StateRevoked)},
		{7, "approve", moveTo(commands.StateProvisioning)},
		{7, "provisioned", activate(time.Hour)},
		{7, "requester renamed", func(r *commands.Request) { r.Requester = "U3" }},
		{7, "grant lost", func(r *commands.Request) { r.Grant = nil }},
	}
	for _, st := range steps {
		model[st.id] = MustUpdate(t, s, st.id, st.fn)
		assertFinders(t, s, model, st.id.String()+" "+st.what)
	}
	// Everything has ended but R7, active without a grant.
	for _, st := range liveStates {
		got, _ := s.InState(context.Background(), st)
		if want := map[bool]int{true: 1, false: 0}[st == commands.StateActive]; len(got) != want {
			t.Errorf("at the end, %d requests %s, want %d", len(got), st, want)
		}
	}
}

// assertFinders checks InState, ExpiringBefore and ByUser against model, the stored requests.
func assertFinders(tb testing.TB, s *state.Store, model map[commands.RequestID]*commands.Request, step string) {
	tb.Helper()
	ctx := context.Background()
	all := make([]*commands.Request, 0, len(model))
	for _, r := range model {
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b *commands.Request) int { return cmp.Compare(a.ID, b.ID) })
	where := func(keep func(r *commands.Request) bool) []commands.RequestID {
		var out []commands.RequestID
		for _, r := range all {
			if keep(r) {
				out = append(out, r.ID)
			}
		}
		return out
	}
	check := func(what string, want []commands.RequestID, got []*commands.Request, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s: %s: %v", step, what, err)
		}
		if diff := gocmp.Diff(want, ids(got), equateEmpty); diff != "" {
			tb.Fatalf("%s: %s (-want +got):\n%s", step, what, diff)
		}
	}

	for _, st := range liveStates {
		got, err := s.InState(ctx, st)
		check("InState "+string(st), where(func(r *commands.Request) bool { return r.State == st }), got, err)
	}
	for _, at := range []time.Duration{0, time.Hour, 2 * time.Hour, 8 * time.Hour, 30 * time.Hour} {
		bound := t0.Add(at)
		want := where(func(r *commands.Request) bool {
			return (r.State == commands.StateActive || r.State == commands.StateRevoking || r.State == commands.StateProvisioning) &&
				r.Grant != nil && !r.Grant.ExpiresAt.After(bound)
		})
		slices.SortStableFunc(want, func(a, b commands.RequestID) int {
			return model[a].Grant.ExpiresAt.Compare(model[b].Grant.ExpiresAt)
		})
		got, err := s.ExpiringBefore(ctx, bound)
		check("ExpiringBefore t0+"+at.String(), want, got, err)
	}
	for _, u := range []string{"U1", "U1X", "U2", "U3", "U9"} {
		want := where(func(r *commands.Request) bool { return r.Requester == u })
		slices.Reverse(want)
		got, err := s.ByUser(ctx, u, 0)
		check("ByUser "+u, want, got, err)
	}
}

func TestExpiringBefore(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	// R1 +3h, R2 +1h, R3 +2h, R4 +1h (ties with R2), R5 pending with a grant (not active),
	// R6 active without one.
	for _, d := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour, time.Hour} {
		id := MustCreate(t, s, newRequest("U1"))
		MustUpdate(t, s, id, activate(d))
	}
	id := MustCreate(t, s, newRequest("U1"))
	MustUpdate(t, s, id, func(r *commands.Request) { r.Grant = &commands.Grant{ExpiresAt: t0} })
	id = MustCreate(t, s, newRequest("U1"))
	MustUpdate(t, s, id, moveTo(commands.StateActive))

	for _, tc := range []struct {
		name string
		t    time.Time
		want []commands.RequestID
	}{
		{"ZeroTime", time.Time{}, nil},
		{"BeforeAll", t0.Add(time.Hour - time.Nanosecond), nil},
		{"ExactlyAtExpiry", t0.Add(time.Hour), []commands.RequestID{2, 4}},
		{"SoonestFirst", t0.Add(2 * time.Hour), []commands.RequestID{2, 4, 3}},
		{"All", t0.Add(100 * 365 * 24 * time.Hour), []commands.RequestID{2, 4, 3, 1}},
		{"BeyondUnixNanos", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), []commands.RequestID{2, 4, 3, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ExpiringBefore(ctx, tc.t)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tc.want, ids(got), equateEmpty); diff != "" {
				t.Fatalf("ExpiringBefore(%v) (-want +got):\n%s", tc.t, diff)
			}
		})
	}
}

func TestByUser(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for _, u := range []string{"U1", "U0", "U1", "U1X", "U1", "U9"} {
		MustCreate(t, s, newRequest(u))
	}
	for _, tc := range []struct {
		user  string
		limit int
		want  []commands.RequestID
	}{
		{"U1", 0, []commands.RequestID{5, 3, 1}},
		{"U1", 2, []commands.RequestID{5, 3}},
		{"U1X", 0, []commands.RequestID{4}},
		{"U0", 0, []commands.RequestID{2}},
		{"U9", 5, []commands.RequestID{6}}, // the last user in the index
		{"U", 0, nil},
		{"Z", 0, nil},
		{"", 0, nil},
	} {
		got, err := s.ByUser(ctx, tc.user, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(tc.want, ids(got), equateEmpty); diff != "" {
			t.Errorf("ByUser(%q, %d) (-want +got):\n%s", tc.user, tc.limit, diff)
		}
	}
}

func TestInStateRefusesFinalStates(t *testing.T) {
	s := MustOpen(t)
	_, err := s.InState(context.Background(), commands.StateExpired)
	if !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("InState(expired): got %v, want ErrInvalid", err)
	}
}
