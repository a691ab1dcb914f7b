package simulation

import (
	"cmp"
	"context"
	"strings"

	"github.com/cakegate/cakegate/commands"
)

// Features meet where one of them is half done: a deactivation arrives while the token is
// being made, an approver withdraws while it is shown, an expiry deletes an API user a
// reconcile has just listed, a second request slips in between the count of open requests
// and the write. In production that is another goroutine or another replica; here the
// driver, at a named step of a call or write cakegate is making, runs such an action inline
// before the step goes on, as the seed decides. Every step is one the code under test must
// survive: no lock is held across a network call or before a write.

// interleaveOdds: one eligible step in this many gets a concurrent action.
const interleaveOdds = 3

// interleave may run a concurrent action at point ("before datacake.NewApiUser", "after
// datacake.WorkspaceApiUsers", "before store.create", …); vars are the variables of a call
// that makes or deletes an API user.
func (w *World) interleave(n *node, point string, vars gqlVariables) {
	if w.interleaving || w.app == nil || n.crashed != "" || w.faults.off {
		return
	}
	var do func()
	switch point {
	case "after datacake.NewApiUser":
		do = w.duringReveal(vars.Input.Name)
	case "before slack.views.update":
		do = w.duringShow()
	case "after datacake.WorkspaceApiUsers":
		if w.runningJob == "reconcile" {
			do = w.duringReconcile
		}
	case "before store.create":
		do = w.duringCreate()
	case "before store.update":
		if w.runningJob == "" || w.runningJob == "outbox" {
			// A person's change, or the outbox recording where it posted, meets another
			// person's decision on the same requests.
			do = w.duringUpdate
		}
	}
	odds := interleaveOdds
	switch point {
	case "after datacake.WorkspaceApiUsers":
		odds *= 4 // reconcile lists every 15 minutes, more often than people act
	case "before store.update":
		odds *= 3 // most writes are people's: some meet another's, not every one
	}
	if do == nil || w.rng.IntN(odds) != 0 {
		return
	}
	w.interleaving = true
	defer func() { w.interleaving = false }()
	if w.replicated() && strings.HasPrefix(point, "before store.") {
		// The etcd store holds its process's write lock there, between its read and its
		// commit: the concurrent writer is another replica.
		w.avoid = n
		defer func() { w.avoid = nil }()
	}
	w.counts["interleaved at "+point]++
	do()
}

// duringReveal: the API user named name was just made for a Reveal click, and not yet
// recorded. Its requester leaves, an approver withdraws the approval, or the requester
// clicks Reveal again.
func (w *World) duringReveal(name string) func() {
	id, requester, ok := madeFor(name)
	if !ok {
		return nil
	}
	return func() {
		switch w.rng.IntN(3) {
		case 0:
			w.leaveNow(requester, "while the token of "+id.String()+" is being made")
		case 1:
			w.withdraw(id, "while its token is being made")
		default:
			w.revealAgain(id, requester)
		}
	}
}

// duringShow: the token is about to be shown in the modal of the requester of a request
// being provisioned. They leave, or an approver withdraws or revokes it.
func (w *World) duringShow() func() {
	rs := w.inState(commands.StateProvisioning)
	if len(rs) == 0 {
		return nil
	}
	r := rs[len(rs)-1]
	return func() {
		if w.rng.IntN(2) == 0 {
			w.leaveNow(r.Requester, "while the token of "+r.ID.String()+" is being shown")
			return
		}
		w.withdraw(r.ID, "while its token is being shown")
	}
}

// duringReconcile: reconcile has just listed the API users; an expiry or a revoke deletes
// one of them before reconcile judges it.
func (w *World) duringReconcile() {
	if w.rng.IntN(2) == 0 {
		w.trace.add(w.clock.Now(), "cakegate", "expiry sweep", "while reconcile runs")
		w.app.SweepDue(context.Background())
		return
	}
	active := w.inState(commands.StateActive)
	if len(active) == 0 {
		return
	}
	r := pick(w, active)
	w.say(r.Requester, "/cakegate revoke "+r.ID.String()+" while reconcile runs", w.slash(r.Requester, "revoke "+r.ID.String()+" done"))
}

// duringCreate: a new request is about to be written; the same person's script sends
// another, or Slack sends the same delivery again.
func (w *World) duringCreate() func() {
	d := w.delivering
	if d.path == "" {
		return nil
	}
	return func() {
		if w.rng.IntN(2) == 0 && d.user != "" {
			text := `request role=viewer devices=SN-1001 for=1h reason="scripted"`
			w.say(d.user, "/cakegate "+text+" (at the same moment)", w.slash(d.user, text))
			return
		}
		status, _ := w.postRetry(d.path, d.body, 1)
		w.trace.add(w.clock.Now(), "slack", "the same delivery again", "at the same moment → "+cmp.Or(status, "ok"))
	}
}

// duringUpdate: a person's change is about to be written (on etcd: read, and about to be
// committed); someone else decides on one of the few open requests at the same moment,
// often the same one, on another replica when there are several.
func (w *World) duringUpdate() {
	var open []*commands.Request
	for _, st := range []commands.State{commands.StatePending, commands.StateApproved, commands.StateActive} {
		open = append(open, w.inState(st)...)
	}
	if len(open) == 0 {
		return
	}
	r := pick(w, open)
	user := w.decider(r)
	verb := map[commands.State]string{commands.StatePending: "approve", commands.StateApproved: "revoke", commands.StateActive: "revoke"}[r.State]
	if r.State == commands.StateActive && r.Extension != nil && w.rng.IntN(2) == 0 {
		verb = "approve"
	}
	text := verb + " " + r.ID.String()
	w.say(user, "/cakegate "+text+" (at the same moment)", w.slash(user, text))
}

// delivery is a Slack request the driver is delivering, for a concurrent action to repeat.
type delivery struct {
	path string
	body []byte
	user string // who sent it, when known
}
