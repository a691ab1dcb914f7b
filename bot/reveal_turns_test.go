package bot

import (
	"context"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

func newestIn(ctx context.Context, s *revealSession) <-chan string {
	out := make(chan string, 1)
	go func() {
		v, _ := s.newest(ctx)
		out <- v
	}()
	return out
}

// The newest window is the last opened, once none is being opened; a click that leaves
// without saying how its opening went (a panic) holds nobody back; the session ends with
// its last click.
func TestRevealTurns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var turns revealTurns
	const id = commands.RequestID(7)
	first, second := turns.join(id), turns.join(id)
	if first.revealSession != second.revealSession {
		t.Fatal("two clicks on one request are in two sessions")
	}
	first.opened("V1")
	got := newestIn(ctx, first.revealSession)
	select {
	case v := <-got:
		t.Fatalf("newest is %q while the second window is being opened", v)
	default:
	}
	if first.tell("V1", true) {
		t.Fatal("told V1 while a newer window may replace it")
	}
	second.opened("V2")
	if v := <-got; v != "V2" {
		t.Fatalf("newest is %q, want V2", v)
	}
	if !second.tell("V2", true) || first.tell("V1", false) {
		t.Fatal("tell: want V2 only")
	}
	if _, told, shown := first.state(); told != "V2" || shown != "V2" {
		t.Fatalf("told %q, shown %q; want V2", told, shown)
	}

	third := turns.join(id)
	got = newestIn(ctx, first.revealSession)
	turns.leave(id, third) // it never said whether its window opened
	if v := <-got; v != "V2" {
		t.Fatalf("newest is %q after a click left without a window, want V2", v)
	}
	turns.leave(id, first)
	turns.leave(id, second)
	if len(turns.sessions) != 0 {
		t.Fatalf("%d sessions left after every click left", len(turns.sessions))
	}
}
