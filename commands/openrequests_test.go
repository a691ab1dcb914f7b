package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestMaxOpenRequests: one person may have max_open_requests (default 5) waiting at once;
// the next is refused with what to do, and a decision makes room again. Others are not
// affected.
func TestMaxOpenRequests(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ask := func(user string) (*commands.Request, error) {
		return e.svc.Request(ctx, commands.RequestInput{Requester: user, Role: "viewer", Devices: []string{"SN1"}, Reason: "testing"})
	}
	var first *commands.Request
	for i := range commands.DefaultMaxOpenRequests {
		r, err := ask(carol)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		if first == nil {
			first = r
		}
	}
	_, err := ask(carol)
	if !errors.Is(err, commands.ErrNotAllowed) || !strings.Contains(err.Error(), "5 requests waiting") {
		t.Fatalf("request 6: got %v, want a refusal naming the cap", err)
	}
	if _, err := ask(dave); err != nil {
		t.Fatalf("another person was refused: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, first.ID, carol); err != nil {
		t.Fatal(err)
	}
	if _, err := ask(carol); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}

	e.svc.Policy.MaxOpenRequests = 1
	if _, err := ask(dave); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("max_open_requests 1: got %v, want a refusal of dave's second", err)
	}
}

func TestPolicyMaxOpenRequestsMustBePositive(t *testing.T) {
	_, err := commands.ParsePolicy("cakegate.yaml", []byte("workspace: ws\napprovals_channel: C1\napprovers: [U1]\nmax_open_requests: 0\nroles:\n  viewer: {max_duration: 8h}\n"))
	if err == nil || !strings.Contains(err.Error(), "max_open_requests 0: must be at least 1") {
		t.Fatalf("got %v", err)
	}
}

// TestSameDeliveryMakesOneRequest: a request asked for twice by the same delivery (a
// replayed slash command: the same trigger id) is made once; the second answer is the
// first request. Another delivery makes another.
func TestSameDeliveryMakesOneRequest(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	in := commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: "testing", Key: "1764234000.4201.abcd"}
	first, err := e.svc.Request(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.Request(ctx, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("the same delivery again: %v, %v; want %s", again, err, first.ID)
	}
	in.Key = "1764234001.4202.abce"
	other, err := e.svc.Request(ctx, in)
	if err != nil || other.ID == first.ID {
		t.Fatalf("another delivery: %v, %v", other, err)
	}
	if n := e.store.Count(); n != 2 {
		t.Fatalf("%d requests stored, want 2", n)
	}
}
