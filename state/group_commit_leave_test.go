package state

import "testing"

// A writer whose context ends just as it is handed the lead, before it takes it, passes the
// lead to the next writer waiting; with nobody waiting, the lead is given up. Otherwise
// the queue would wait for a leader that has gone.
func TestLeaveHandsOnTheLead(t *testing.T) {
	newWrite := func() *groupWrite {
		return &groupWrite{done: make(chan groupResult, 1), lead: make(chan struct{}, 1)}
	}
	first, second := newWrite(), newWrite()
	g := &groupCommit{leading: true, queue: []*groupWrite{first, second}}
	g.handOn() // what a leader does when its commit is done

	if !g.leave(first) {
		t.Fatal("leave: the writer handed the lead was not found waiting")
	}
	select {
	case <-second.lead:
	default:
		t.Fatal("the next writer was not handed the lead")
	}
	if len(g.queue) != 1 || g.queue[0] != second || !g.leading {
		t.Fatalf("queue %v, leading %v; want the second writer alone, leading", g.queue, g.leading)
	}

	second.lead <- struct{}{} // handed back, as if the second writer gave up too
	if !g.leave(second) {
		t.Fatal("leave: the second writer was not found waiting")
	}
	if len(g.queue) != 0 || g.leading {
		t.Fatalf("queue %v, leading %v; want it empty and the lead given up", g.queue, g.leading)
	}
	if g.leave(first) {
		t.Error("leave found a writer that had left already")
	}
}
