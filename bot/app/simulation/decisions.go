package simulation

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// The promises judged on the audit trail, event by event, as each appears: who decided, in
// what order the request moved, and what became of an approval.
const (
	// invAuthority: every decision (approve, deny, revoke, withdraw, an extension's approval
	// or denial, an orphan's deletion) was made by someone the policy in force at that moment
	// allowed, and nobody approved their own request or extension, on any path.
	invAuthority = "decided-by-policy-in-force"
	// invContinuous: the audit trail of a request is continuous: each event's from is the
	// previous event's to, and nothing leaves a final state.
	invContinuous = "audit-trail-continuous"
	// invNoLateToken: a withdrawn or lapsed approval never becomes a token: no reveal starts
	// after its reveal_within, and no token reaches a requester after the approval was
	// taken back.
	invNoLateToken = "no-token-after-withdraw-or-lapse"
)

// revealWithin is the policy's reveal_within (the default: the simulated policy sets none).
const revealWithin = commands.DefaultRevealWithin

// auditWatch is what the simulation keeps of the audit trail it has read.
type auditWatch struct {
	seq uint64 // the last event read
	// writes is World.writes when the trail was last read: no write, nothing new.
	writes int
	// lastTo is each request's last audited state; requests is who asked for what.
	lastTo   map[commands.RequestID]commands.State
	requests map[commands.RequestID]requestFacts
}

// requestFacts are what a request's decisions are judged by: who asked, for which role,
// when it was approved, and when its approval was taken back.
type requestFacts struct {
	requester, role string
	approvedAt      time.Time
	withdrawnAt     time.Time // zero: not taken back
	revealed        bool      // its token was revealed once
	// grantEnd is set when cakegate stopped while making its token after an API user was
	// made for it (commands.unreveal with shown): if its grant was recorded, nobody can
	// tell whether that token left, so the grant keeps its life and Reveal works until its
	// end (the first API user's creation plus the duration), even past the approval's own
	// deadline; if it was not, the approval's deadline holds. The model cannot tell the
	// two apart, so a reveal is late after both.
	grantEnd time.Time
	// startAt and duration are a scheduled request's start (zero for none) and duration.
	startAt  time.Time
	duration time.Duration
}

// revealDeadline is when the approval of f lapses unrevealed: reveal_within after its
// approval, or for a scheduled request after its start (the approval, if later), and never
// after start + duration.
func (f requestFacts) revealDeadline() time.Time {
	if f.startAt.IsZero() {
		return f.approvedAt.Add(revealWithin)
	}
	return later(f.startAt, f.approvedAt).Add(min(revealWithin, f.duration))
}

// forgetAudit starts over on a database that is not the one read so far (a restore, an
// empty file): its trail is read from its end, and each request's history afresh.
func (m *model) forgetAudit(seq uint64) {
	m.audit = auditWatch{seq: seq, writes: -1, lastTo: map[commands.RequestID]commands.State{}, requests: map[commands.RequestID]requestFacts{}}
}

// auditTail returns the sequence number of the newest audit event of the database.
func (w *World) auditTail(ctx context.Context) uint64 {
	if w.app == nil {
		return 0
	}
	recent, err := w.app.Store().RecentAudit(ctx, 1)
	if err != nil || len(recent) == 0 {
		return 0
	}
	return recent[0].Seq
}

// checkAudit judges every audit event written since the last check, in order, against the
// policy in force now: the driver checks after every step, and the policy changes only
// between steps (at a redeploy, whose old process wrote nothing after it stopped).
func (w *World) checkAudit(ctx context.Context, add func(string, string, ...any)) {
	if w.model.audit.writes == w.writes && w.model.audit.lastTo != nil {
		return
	}
	w.model.audit.writes = w.writes
	store := w.app.Store()
	for {
		recs, err := store.AuditEvents(ctx, w.model.audit.seq, 500)
		if err != nil {
			add(invAudited, "cannot read the audit trail: %v", err)
			return
		}
		for _, rec := range recs {
			w.model.audit.seq = rec.Seq
			w.judgeEvent(ctx, rec, add)
		}
		if len(recs) < 500 {
			return
		}
	}
}

// judgeEvent judges one audit event.
func (w *World) judgeEvent(ctx context.Context, rec state.AuditRecord, add func(string, string, ...any)) {
	e := rec.AuditEvent
	if e.Request == 0 {
		if e.Action == "orphan_deleted" && e.Actor != commands.Actor && !slices.Contains(w.policy.approvers(), e.Actor) {
			add(invAuthority, "%s deleted an orphaned API user, but the policy in force (%s) does not make them an approver", lowerName(e.Actor), w.policy)
		}
		if e.Action == "review_deleted" && !slices.Contains(w.policy.approvers(), e.Actor) {
			add(invAuthority, "%s deleted an API user in an access review, but the policy in force (%s) does not make them a top-level approver", lowerName(e.Actor), w.policy)
		}
		if (e.Action == "review_kept" || e.Action == "review_gone") && !w.policy.approvesAnything(e.Actor) {
			add(invAuthority, "%s decided on an access review item (%s), but the policy in force (%s) makes them no approver", lowerName(e.Actor), e.Action, w.policy)
		}
		if e.Action == "orphan_deleted" {
			if m := apiUserInDetail.FindStringSubmatch(e.Detail); m != nil {
				if by := w.model.removedBy[m[1]]; by != 0 && by != w.model.lastDelete[m[1]] {
					add(invFalseOrphan, "cakegate reported deleting the orphan %s, which an earlier delete had already removed: %s", m[1], e.Detail)
				}
			}
		}
		return
	}
	a := &w.model.audit
	facts, known := a.requests[e.Request]
	if !known {
		r, err := w.app.Store().Get(ctx, e.Request)
		if err != nil {
			add(invAudited, "audit event %d names %s, which cannot be read: %v", rec.Seq, e.Request, err)
			return
		}
		facts = requestFacts{requester: r.Requester, role: r.Role, startAt: r.StartAt, duration: r.Duration}
		w.continuityFrom(ctx, e.Request, rec.Seq, add)
	}
	defer func() { a.requests[e.Request] = facts }()

	if e.To != "" {
		prev, seen := a.lastTo[e.Request]
		switch {
		case seen && e.From != prev:
			add(invContinuous, "%s moved %s → %s (%s by %s), but its last audited state was %s", e.Request, e.From, e.To, e.Action, lowerName(e.Actor), prev)
		case !seen && e.From != "":
			add(invContinuous, "%s's first audited move is from %s (%s)", e.Request, e.From, e.Action)
		case e.From.Final() && e.From != e.To:
			add(invContinuous, "%s left the final state %s for %s (%s by %s)", e.Request, e.From, e.To, e.Action, lowerName(e.Actor))
		}
		a.lastTo[e.Request] = e.To
	}
	w.judgeAuthority(e, facts, add)

	switch {
	case e.To == commands.StateApproved && e.From == commands.StatePending:
		facts.approvedAt = e.At
	case e.Action == "reveal" && e.From == commands.StateApproved && !facts.revealed:
		if !facts.grantEnd.IsZero() {
			if end := later(facts.grantEnd, facts.revealDeadline()); !e.At.Before(end) {
				add(invNoLateToken, "%s was revealed at %s, after its approval lapsed and the grant whose token may have left ended (%s)", e.Request, e.At.Format(time.DateTime), end.Format(time.DateTime))
			}
		} else if !facts.approvedAt.IsZero() && !e.At.Before(facts.revealDeadline()) {
			add(invNoLateToken, "%s was revealed at %s, after its approval of %s lapsed (at %s)", e.Request, e.At.Format(time.DateTime), facts.approvedAt.Format(time.DateTime), facts.revealDeadline().Format(time.DateTime))
		}
		if e.At.Before(facts.startAt) && !facts.approvedAt.After(facts.startAt) {
			add(invNoEarlyToken, "%s was revealed at %s, before its start at %s", e.Request, e.At.Format(time.DateTime), facts.startAt.Format(time.DateTime))
		}
		if !facts.withdrawnAt.IsZero() {
			add(invNoLateToken, "%s was revealed at %s, after its approval was taken back at %s", e.Request, e.At.Format(time.DateTime), facts.withdrawnAt.Format(time.DateTime))
		}
	case e.Action == "revealed":
		facts.revealed = true
	case e.Action == "unrevealed" && e.Detail == commands.StoppedWhileCreating && facts.grantEnd.IsZero():
		if made, ok := w.model.firstUserFor(requestKey{w.installation, w.generation, e.Request}, e.At); ok {
			facts.grantEnd = made.Add(facts.duration)
		}
	case withdrawal(e) && facts.withdrawnAt.IsZero():
		facts.withdrawnAt = e.At
	}
}

// apiUserInDetail finds the API user an orphan's audit detail names: "API user NAME (ID)".
var apiUserInDetail = regexp.MustCompile(`API user \S+ \(([0-9a-f-]{36})\)`)

// withdrawal reports whether e takes an approval back before its token was revealed.
func withdrawal(e commands.AuditEvent) bool {
	return e.Action == "withdrawn" || (e.From == commands.StateApproved && (e.To == commands.StateRevoked || e.To == commands.StateCancelled || e.To == commands.StateLapsed))
}

// continuityFrom reads a request's trail up to seq when the simulation meets the request
// for the first time (a restored database, a request made before the run's first read),
// judges its continuity, and remembers its last state.
func (w *World) continuityFrom(ctx context.Context, id commands.RequestID, seq uint64, add func(string, string, ...any)) {
	recs, err := w.app.Store().AuditForRequest(ctx, id)
	if err != nil {
		add(invAudited, "cannot read the audit of %s: %v", id, err)
		return
	}
	var last commands.State
	seen := false
	for _, rec := range recs {
		if rec.Seq >= seq || rec.To == "" {
			continue
		}
		if seen && rec.From != last {
			add(invContinuous, "%s moved %s → %s (%s), but its last audited state was %s", id, rec.From, rec.To, rec.Action, last)
		}
		last, seen = rec.To, true
	}
	if seen {
		w.model.audit.lastTo[id] = last
	}
}

// judgeAuthority: the actor of a person's decision may make it under the policy in force.
func (w *World) judgeAuthority(e commands.AuditEvent, f requestFacts, add func(string, string, ...any)) {
	if e.Actor == commands.Actor {
		// The on-call rule's approvals are judged against the group's lists (checkOnCall).
		if e.Action == "approved" && !strings.Contains(e.Detail, "auto-approved") && !strings.Contains(e.Detail, "break-glass") && !strings.HasPrefix(e.Detail, "on call: ") {
			add(invAuthority, "cakegate itself approved %s (%s)", e.Request, e.Detail)
		}
		return
	}
	p := w.policy
	self := e.Actor == f.requester
	roleApprover := slices.Contains(p.roleApprovers(f.role), e.Actor)
	deny := func(why string) {
		add(invAuthority, "%s: %s by %s, %s (policy in force: %s)", e.Request, e.Action, lowerName(e.Actor), why, p)
	}
	switch e.Action {
	case "requested":
		if !p.mayRequest(e.Actor, f.role) {
			deny("who may not ask for role " + f.role)
		}
	case "approval", "approved", "denied":
		if self && e.Action != "denied" {
			deny("who asked for it")
		} else if !roleApprover && !w.escalatedTo(e.Request, f.role, e.Actor) {
			deny("who does not approve role " + f.role)
		}
	case "extension_approval", "extended":
		if self {
			deny("who holds the grant")
		} else if !roleApprover {
			deny("who does not approve role " + f.role)
		}
	case "extension_denied":
		if !roleApprover {
			deny("who does not approve role " + f.role)
		}
	case "revoke", "withdrawn":
		if !self && !roleApprover {
			deny("who neither asked for it nor approves role " + f.role)
		}
	case "adopted", "review_adopted":
		if !slices.Contains(p.approvers(), e.Actor) {
			deny("who is not a top-level approver")
		}
	case "review_recertified":
		if !roleApprover {
			deny("who does not approve role " + f.role)
		}
	case "review_revoked":
		if !self && !roleApprover {
			deny("who neither holds it nor approves role " + f.role)
		}
	case "review_gone":
		if !self && !p.approvesAnything(e.Actor) {
			deny("who approves nothing")
		}
	case "cancelled", "reveal", "reissue", "revealed", "reissued", "extension_requested", "approvers_nudged":
		if !self {
			deny("who did not ask for it")
		}
	default:
		deny("an action the simulation does not know who may take")
	}
}

// escalatedTo reports whether user was brought in as an approver of request id by
// escalation, and the policy in force still names them for the role.
func (w *World) escalatedTo(id commands.RequestID, role, user string) bool {
	if !slices.Contains(w.policy.escalateTo(role), user) {
		return false
	}
	r, err := w.app.Store().Get(context.Background(), id)
	return err == nil && slices.Contains(r.Escalation.To, user)
}
