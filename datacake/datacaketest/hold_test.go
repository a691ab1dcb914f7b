package datacaketest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// postOp sends a named GraphQL operation, as the datacake client does, and returns the status
// (0 when no answer came).
func postOp(ctx context.Context, url, operation, query string, vars map[string]any) int {
	body, _ := json.Marshal(map[string]any{"query": query, "operationName": operation, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Token "+ownerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHoldKeepsRequestsUntilRelease(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	f.Hold()
	answered := make(chan int, 1)
	go func() { answered <- postOp(ctx, f.URL(), "NewApiUser", createQuery, createInput("held", nil)) }()
	if err := f.WaitHeld(ctx, "NewApiUser"); err != nil {
		t.Fatal(err)
	}
	if held := f.Held(); len(held) != 1 || held[0] != "NewApiUser" {
		t.Fatalf("Held() = %q, want [NewApiUser]", held)
	}
	if n := len(f.APIUsers(ws)); n != 0 {
		t.Fatalf("%d API users while the create is held, want 0", n)
	}
	select {
	case status := <-answered:
		t.Fatalf("answered %d while held", status)
	default:
	}

	f.Release()
	select {
	case status := <-answered:
		if status != http.StatusOK {
			t.Fatalf("status %d after Release, want 200", status)
		}
	case <-ctx.Done():
		t.Fatal("no answer after Release")
	}
	if n := len(f.APIUsers(ws)); n != 1 {
		t.Fatalf("%d API users after Release, want 1", n)
	}
	if held := f.Held(); len(held) != 0 {
		t.Fatalf("Held() = %q after Release, want none", held)
	}
	// Released means open: the next request is answered at once.
	if status := postOp(ctx, f.URL(), "NewApiUser", createQuery, createInput("free", nil)); status != http.StatusOK {
		t.Fatalf("status %d after Release, want 200", status)
	}
}

func TestCloseEndsHold(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.Hold()
	answered := make(chan int, 1)
	go func() { answered <- postOp(ctx, f.URL(), "NewApiUser", createQuery, createInput("never", nil)) }()
	if err := f.WaitHeld(ctx, ""); err != nil {
		t.Fatal(err)
	}
	f.Close() // must not wait for a Release that never comes
	if status := <-answered; status == http.StatusOK {
		t.Fatal("a held create was answered 200 after Close")
	}
	if n := len(f.APIUsers(ws)); n != 0 {
		t.Fatalf("%d API users from a request held until Close, want 0", n)
	}
}

func TestWaitHeldFailsWhenContextEnds(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.WaitHeld(ctx, ""); err == nil {
		t.Fatal("WaitHeld returned nil with nothing held")
	}
}

func TestWaitAnswered(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f.Hold()
	go postOp(ctx, f.URL(), "NewApiUser", createQuery, createInput("a", nil))
	if err := f.WaitHeld(ctx, "NewApiUser"); err != nil {
		t.Fatal(err)
	}
	// Held is not answered.
	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if err := f.WaitAnswered(short, "NewApiUser", 1); err == nil {
		t.Fatal("a held request counts as answered")
	}
	waited := make(chan error, 1)
	go func() { waited <- f.WaitAnswered(ctx, "NewApiUser", 1) }()
	f.Release()
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	if n := f.CallCount("NewApiUser"); n != 1 {
		t.Fatalf("CallCount = %d, want 1", n)
	}
}
