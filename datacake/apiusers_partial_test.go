package datacake_test

import (
	"context"
	"testing"
)

// TestAPIUsersRefusesAPartialList: an answer whose list has a hole (an entry null, an error
// beside the data) is an error, never a shorter list: a caller would take the missing API
// user for deleted, or miss one nobody manages.
func TestAPIUsersRefusesAPartialList(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.AddAPIUserOutOfBand(ws, "by hand 1")
	f.AddAPIUserOutOfBand(ws, "by hand 2")
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	f.PartialAPIUsersNext(1)
	if users, err := c.APIUsers(ctx, ws); err == nil {
		t.Fatalf("a partial list was taken for the whole: %d API users", len(users))
	}
	users, err := c.APIUsers(ctx, ws)
	if err != nil || len(users) != 2 {
		t.Fatalf("the next list: %d API users, %v; want both", len(users), err)
	}
}
