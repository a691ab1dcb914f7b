package bot

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

func TestHomeStatePublishesOfOneUserDoNotOverlap(t *testing.T) {
	var h homeState
	if !h.claim("U1") {
		t.Fatal("the first claim was refused")
	}
	if !h.claim("U2") {
		t.Fatal("another user's claim was refused")
	}
	// Two more changes while U1's tab is being published: one more publish covers both.
	if second, third := h.claim("U1"), h.claim("U1"); second || third {
		t.Fatal("a second publish of U1's tab was allowed to run beside the first")
	}
	if h.release("U1") {
		t.Fatal("release let go although a change came in meanwhile")
	}
	if !h.release("U1") {
		t.Fatal("release asked for a third publish; two changes need one more")
	}
	if !h.claim("U1") {
		t.Fatal("after release, a new change is refused")
	}
	h.claim("U1")
	h.abandon("U1")
	if !h.claim("U1") {
		t.Fatal("after abandon, a new change is refused")
	}
}

func TestHomeStateNotices(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var h homeState
	h.setNotice("U1", "You approved R1.", t0)
	if got := h.notice("U1", t0.Add(homeNoticeTTL)); got != "You approved R1." {
		t.Fatalf("notice within its time = %q", got)
	}
	if got := h.notice("U1", t0.Add(homeNoticeTTL+time.Second)); got != "" {
		t.Fatalf("notice past its time = %q", got)
	}
	h.setNotice("U1", "You approved R2.", t0)
	h.opened("U1", t0.Add(time.Second))
	if got := h.notice("U1", t0.Add(time.Second)); got != "" {
		t.Fatalf("notice after opening the tab again = %q; it was about the tab left", got)
	}
	for i := range maxHomeViewers + 10 {
		h.setNotice(fmt.Sprintf("U%05d", i), "x", t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(h.notices); n > maxHomeViewers {
		t.Fatalf("%d notices remembered, want at most %d", n, maxHomeViewers)
	}
}

func TestHomeStateViewersAreBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var h homeState
	for i := range maxHomeViewers + 5 {
		h.opened(fmt.Sprintf("U%05d", i), t0.Add(time.Duration(i)*time.Second))
	}
	// U00005 opens again: now the most recent, so it stays.
	h.opened("U00005", t0.Add(time.Hour))
	h.opened("Unew", t0.Add(2*time.Hour))
	viewers := h.viewerList(t0)
	if len(viewers) != maxHomeViewers {
		t.Fatalf("%d viewers remembered, want %d", len(viewers), maxHomeViewers)
	}
	for _, gone := range []string{"U00000", "U00006"} {
		if slices.Contains(viewers, gone) {
			t.Errorf("%s, among the longest ago, is still remembered", gone)
		}
	}
	for _, kept := range []string{"U00005", "Unew", fmt.Sprintf("U%05d", maxHomeViewers+4)} {
		if !slices.Contains(viewers, kept) {
			t.Errorf("%s, a recent viewer, was forgotten", kept)
		}
	}
}

// A tab held back by the gap between refreshes, or by Slack's 429, has an outbox run come
// when it may go out, on the service's clock; one wake serves every tab due by then.
func TestHomeWakeComesWhenTheTabMayGoOut(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := commandstest.NewClock(t0)
	b := New(Config{Service: &commands.Service{Clock: clock}})
	woke := func() bool {
		select {
		case <-b.kick:
			return true
		default:
			return false
		}
	}
	b.home.owe("U1")
	if got := b.home.due(t0); !slices.Equal(got, []string{"U1"}) {
		t.Fatalf("due %v, want U1", got)
	}
	b.home.owe("U1") // changed again at once: held back
	b.home.owe("U2") // never refreshed: may go now
	if due := b.home.due(t0); !slices.Equal(due, []string{"U2"}) {
		t.Fatalf("due %v, want U2 alone", due)
	}
	b.armHomeWake()
	b.armHomeWake() // armed already: no second wake
	clock.Advance(homeRefreshGap - time.Second)
	if woke() {
		t.Fatal("woke before the gap ended")
	}
	clock.Advance(time.Second)
	select {
	case <-b.kick:
	case <-time.After(20 * time.Second):
		t.Fatal("no outbox run when the gap ended")
	}
	if due := b.home.due(clock.Now()); !slices.Equal(due, []string{"U1"}) {
		t.Fatalf("due %v after the gap, want U1", due)
	}

	// Slack's 429 holds every tab back until its Retry-After.
	b.home.limited("U1", clock.Now().Add(30*time.Second))
	if due := b.home.due(clock.Now().Add(29 * time.Second)); len(due) != 0 {
		t.Fatalf("due %v while Slack asks to wait", due)
	}
	b.armHomeWake()
	clock.Advance(30 * time.Second)
	select {
	case <-b.kick:
	case <-time.After(20 * time.Second):
		t.Fatal("no outbox run when Slack's wait ended")
	}
	if due := b.home.due(clock.Now()); !slices.Equal(due, []string{"U1"}) {
		t.Fatalf("due %v after Slack's wait, want U1: the last version is not dropped", due)
	}
}
