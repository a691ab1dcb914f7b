package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// liveStates are the states the state index answers for.
var liveStates = []commands.State{commands.StatePending, commands.StateApproved, commands.StateProvisioning, commands.StateActive, commands.StateRevoking}

// testIndexes walks requests through their lives and checks every index answers what the
// requests say, in the promised order.
func testIndexes(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	a := MustCreate(t, s, NewRequest("U1"))
	b := MustCreate(t, s, NewRequest("U1X")) // shares U1's prefix
	c := MustCreate(t, s, NewRequest("U1"))
	grant := func(end time.Time) func(r *commands.Request) {
		return func(r *commands.Request) {
			r.State = commands.StateActive
			r.Grant = &commands.Grant{APIUserID: "api", ExpiresAt: end}
		}
	}
	MustUpdate(t, s, a, grant(T0.Add(2*time.Hour)))
	MustUpdate(t, s, b, grant(T0.Add(time.Hour)))
	MustUpdate(t, s, c, func(r *commands.Request) { r.State = commands.StateProvisioning })

	check := func(what string, got []*commands.Request, err error, want ...commands.RequestID) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if diff := cmp.Diff(want, IDs(got), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", what, diff)
		}
	}
	got, err := s.InState(ctx, commands.StateActive)
	check("InState(active), oldest first", got, err, a, b)
	got, err = s.InState(ctx, commands.StateProvisioning)
	check("InState(provisioning)", got, err, c)
	got, err = s.ExpiringBefore(ctx, T0.Add(time.Hour))
	check("ExpiringBefore, inclusive", got, err, b)
	got, err = s.ExpiringBefore(ctx, T0.Add(3*time.Hour))
	check("ExpiringBefore, soonest first", got, err, b, a)
	got, err = s.ByUser(ctx, "U1", 0)
	check("ByUser, newest first, not U1X's", got, err, c, a)
	got, err = s.ByUser(ctx, "U1", 1)
	check("ByUser, limit", got, err, c)

	// A provisioning request with its API user recorded must end on time too.
	MustUpdate(t, s, c, func(r *commands.Request) { r.Grant = &commands.Grant{APIUserID: "api-c", ExpiresAt: T0} })
	got, err = s.ExpiringBefore(ctx, T0)
	check("ExpiringBefore finds the provisioning grant", got, err, c)

	// An extension moves the expiry key; an end leaves every live index.
	MustUpdate(t, s, b, func(r *commands.Request) { r.Grant.ExpiresAt = T0.Add(5 * time.Hour) })
	got, err = s.ExpiringBefore(ctx, T0.Add(3*time.Hour))
	check("after the extension", got, err, c, a)
	MustUpdate(t, s, a, func(r *commands.Request) { r.State = commands.StateRevoking })
	MustUpdate(t, s, a, func(r *commands.Request) { r.State = commands.StateExpired })
	got, err = s.InState(ctx, commands.StateActive)
	check("InState(active) after the end", got, err, b)
	got, err = s.ExpiringBefore(ctx, T0.Add(3*time.Hour))
	check("ExpiringBefore after the end", got, err, c)
	got, err = s.ByUser(ctx, "U1", 0)
	check("ByUser keeps ended requests", got, err, c, a)

	if _, err := s.InState(ctx, commands.StateExpired); !errors.Is(err, commands.ErrInvalid) {
		t.Fatalf("InState(expired): got %v, want ErrInvalid: final states are not indexed", err)
	}
	checkIndexes(t, s, []commands.RequestID{a, b, c})
}

// testIndexesAfterFailures runs a random mix of transitions over replicas, some refused by
// fn, some cut off by a cancelled context, and then checks every index against the
// requests: a write that fails leaves no index entry behind.
func testIndexesAfterFailures(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	stores := handles(t, h, s, 3)
	rng := rand.New(rand.NewPCG(17, 1))
	var all []commands.RequestID
	for i := range 12 {
		all = append(all, MustCreate(t, s, NewRequest(fmt.Sprintf("U%d", i%3))))
	}
	states := []commands.State{commands.StatePending, commands.StateProvisioning, commands.StateActive,
		commands.StateRevoking, commands.StateExpired, commands.StateDenied}
	errRefused := errors.New("refused")
	for i := range 150 {
		st := stores[i%len(stores)]
		id := all[rng.IntN(len(all))]
		to := states[rng.IntN(len(states))]
		end := T0.Add(time.Duration(rng.IntN(10)) * time.Hour)
		refuse := rng.IntN(4) == 0
		uctx := ctx
		if rng.IntN(6) == 0 {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			uctx = cctx
		}
		_, err := st.Update(uctx, id, func(r *commands.Request) (commands.Change, error) {
			from := r.State
			r.State = to
			r.Grant = nil
			if to != commands.StatePending {
				r.Grant = &commands.Grant{APIUserID: "api", ExpiresAt: end}
			}
			c := commands.Change{Audit: []commands.AuditEvent{{Action: "move", From: from, To: to}}}
			if refuse {
				return c, errRefused
			}
			return c, nil
		})
		switch {
		case err == nil, errors.Is(err, errRefused), uctx.Err() != nil:
		default:
			t.Fatalf("Update: %v", err)
		}
	}
	checkIndexes(t, s, all)
	if broken, err := s.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit: broken at %d: %v", broken, err)
	}
}

// checkIndexes reads every request in all and checks that each index holds exactly the
// entries the requests call for.
func checkIndexes(t *testing.T, s Store, all []commands.RequestID) {
	t.Helper()
	ctx := context.Background()
	byState := map[commands.State][]commands.RequestID{}
	byUser := map[string][]commands.RequestID{}
	var expiring []*commands.Request
	for _, id := range all {
		r := MustGet(t, s, id)
		if state.InStateIndex(r.State) {
			byState[r.State] = append(byState[r.State], id)
		}
		byUser[r.Requester] = append(byUser[r.Requester], id)
		if state.InExpiryIndex(r) {
			expiring = append(expiring, r)
		}
	}
	for _, st := range liveStates {
		got, err := s.InState(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		want := byState[st]
		slices.Sort(want)
		if diff := cmp.Diff(want, IDs(got), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("InState(%s) disagrees with the requests (-want +got):\n%s", st, diff)
		}
	}
	for user, want := range byUser {
		got, err := s.ByUser(ctx, user, 0)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		slices.Reverse(want)
		if diff := cmp.Diff(want, IDs(got)); diff != "" {
			t.Fatalf("ByUser(%s) disagrees with the requests (-want +got):\n%s", user, diff)
		}
	}
	sort.SliceStable(expiring, func(i, j int) bool {
		a, b := expiring[i], expiring[j]
		if !a.Grant.ExpiresAt.Equal(b.Grant.ExpiresAt) {
			return a.Grant.ExpiresAt.Before(b.Grant.ExpiresAt)
		}
		return a.ID < b.ID
	})
	got, err := s.ExpiringBefore(ctx, T0.Add(1000*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(IDs(expiring), IDs(got), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("ExpiringBefore disagrees with the requests (-want +got):\n%s", diff)
	}
}
