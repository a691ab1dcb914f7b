package datacake_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
)

// TestCreateWithUnknownOutcome checks that a create which may have happened is never
// repeated: the client looks the name up and reports what it found.
func TestCreateWithUnknownOutcome(t *testing.T) {
	const name = "cakegate-r7-bob"
	for _, tc := range []struct {
		name      string
		edit      func(*datacake.Options)
		inject    func(*testing.T, *fixture)
		found     int  // API users named name reported
		lookupErr bool // the look-up fails too
	}{
		{name: "DroppedAfterCommit", inject: func(_ *testing.T, f *fixture) { f.DropAfterCommitNext() }, found: 1},
		{name: "ServerError", inject: func(_ *testing.T, f *fixture) { f.FailNext(1, http.StatusBadGateway) }, found: 0},
		{name: "DroppedWithNamesakeAlready", inject: func(t *testing.T, f *fixture) {
			f.AddToken("setup", map[string][]string{ws: {"members"}})
			c, _ := newClient(t, f.URL(), "setup", nil)
			if _, err := c.CreateAPIUser(t.Context(), datacake.CreateAPIUserInput{Workspace: ws, Name: name}); err != nil {
				t.Fatal(err)
			}
			f.DropAfterCommitNext()
		}, found: 2},
		{name: "TimeoutAndLookupFails",
			edit:   func(o *datacake.Options) { o.Timeout, o.MaxRetries = 30*time.Millisecond, -1 },
			inject: func(_ *testing.T, f *fixture) { f.SetLatency(time.Hour) }, lookupErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.inject(t, f)
			before := f.CallCount("NewApiUser")
			c, _ := newClient(t, f.URL(), ownerToken, tc.edit)
			created, err := c.CreateAPIUser(t.Context(), datacake.CreateAPIUserInput{Workspace: ws, Name: name, WorkspacePermissions: []string{"devices"}})
			var unknown *datacake.UnknownOutcomeError
			if !errors.As(err, &unknown) {
				t.Fatalf("got %v (%v), want an UnknownOutcomeError", err, created)
			}
			if created != (datacake.CreatedAPIUser{}) {
				t.Errorf("returned %v alongside the error", created)
			}
			if unknown.Name != name || unknown.Workspace != ws || unknown.Err == nil {
				t.Errorf("error %+v lacks name, workspace or cause", unknown)
			}
			if datacake.IsTemporary(err) {
				t.Error("IsTemporary = true; the create must not simply be repeated")
			}
			if got := f.CallCount("NewApiUser") - before; got != 1 {
				t.Errorf("create sent %d times, want once", got)
			}
			if (unknown.LookupErr != nil) != tc.lookupErr {
				t.Errorf("LookupErr = %v, want an error: %v", unknown.LookupErr, tc.lookupErr)
			}
			if len(unknown.Found) != tc.found {
				t.Fatalf("found %d, want %d", len(unknown.Found), tc.found)
			}
			inFake := f.APIUsers(ws)
			for i, u := range unknown.Found {
				if u.Name != name || u.ID != inFake[i].ID {
					t.Errorf("found[%d] = %+v, want the fake's %s", i, u, inFake[i].ID)
				}
			}
		})
	}
}

func TestCreateValidatesInput(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	for _, in := range []datacake.CreateAPIUserInput{{Workspace: ws}, {Name: "x"}} {
		var perm *datacake.PermanentError
		if _, err := c.CreateAPIUser(t.Context(), in); !errors.As(err, &perm) {
			t.Errorf("CreateAPIUser(%+v) = %v, want a PermanentError", in, err)
		}
	}
	if n := f.CallCount(""); n != 0 {
		t.Errorf("%d calls for invalid input, want 0", n)
	}
}

// TestCreateRetriedWhenNeverSent: a refused connection proves the create did not reach
// Datacake, so retrying it is safe and no look-up is needed.
func TestCreateRetriedWhenNeverSent(t *testing.T) {
	f := newFixture(t)
	url := f.URL()
	f.Close() // nothing listens on the port any more
	c, sl := newClient(t, url, ownerToken, func(o *datacake.Options) { o.MaxRetries = 2 })
	_, err := c.CreateAPIUser(t.Context(), datacake.CreateAPIUserInput{Workspace: ws, Name: "x"})
	var unknown *datacake.UnknownOutcomeError
	if errors.As(err, &unknown) || !datacake.IsTemporary(err) {
		t.Fatalf("got %v, want a temporary error and no UnknownOutcomeError", err)
	}
	if n := len(sl.Waits()); n != 2 {
		t.Errorf("%d retries, want 2", n)
	}
}
