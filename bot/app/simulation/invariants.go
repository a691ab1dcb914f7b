package simulation

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// The invariants: cakegate's promises, stated from the outside where possible (the fake
// Datacake's API users and their tokens, the fake Slack's calls, the database file's bytes,
// the logs, the audit chain).
const (
	invForeignKept      = "foreign-users-never-deleted"    // another installation's or a hand-made API user is never deleted
	invNoOrphan         = "no-token-without-grant"         // a live API user of this installation has a grant that owns it, or was reported
	invDiesAtEnd        = "token-dies-at-grant-end"        // no API user outlives its grant's end by more than the schedule's minute
	invDiesWithin2s     = "token-dies-within-2s"           // … by more than 2 s (the design's precise expiry)
	invTokenToRequester = "token-only-in-requesters-modal" // a token is shown only by views.update in a modal on its requester's screen: never in a message, DM or response_url answer
	invTokenReached     = "token-reached-requester"        // a live API user's token reached its requester's modal, or the user is gone
	invTokenNotLogged   = "token-never-logged"
	invTokenNotStored   = "token-never-stored" // the database file never holds a token
	invNoRest           = "no-rest-in-provisioning-or-revoking"
	invLapse            = "unrevealed-approval-lapses" // an approval not revealed by its reveal_within lapses
	invLeakDies         = "leaked-token-dies"          // a token pasted in a message cakegate reads is deleted within seconds
	invAudited          = "every-change-audited"
	invAuditChain       = "audit-chain-verifies"
	invOutbox           = "outbox-delivered"
	invDeadLetter       = "dead-letters-alerted"
	invPolicy           = "grant-only-by-policy"     // granted only for a role the policy has, by that role's approvers
	invNoPanic          = "no-panics"                // nothing cakegate does panics (it would recover, and skip the rest of that work)
	invReplayDropped    = "replayed-request-dropped" // a signed request sent again byte for byte is answered 200 and does nothing
	invLeaverLoses      = "leaver-loses-access"      // a deactivated account holds no grant and no waiting request: at once when Slack says so, by the next daily sweep when the event was lost
)

// panicked finds the log lines of a recovered panic: the bot's, the scheduler's, the alarm's.
var panicked = regexp.MustCompile(`msg="(recovered from a panic[^"]*|scheduler: panic in job|alarm: sweep panicked)"[^\n]*?panic=("[^"]*"|\S+)`)

// fileCheckEvery: the database file is searched for tokens every so many checks and at
// the end (reading the whole file after every step would cost more than the rest).
const fileCheckEvery = 500

// Bounds for "eventually", in virtual time.
const (
	// expiryBound: the expire sweep runs every minute; a grant ending just after a run is
	// deleted at the next, plus a few seconds of Datacake's answer.
	expiryBound = time.Minute + 5*time.Second
	// preciseBound is the design's promise (a timer on the earliest end, issue 11).
	preciseBound = 2 * time.Second
	// settleBound: reconcile runs every 15 minutes and finishes what a crash left, or
	// deletes an orphan; one run may find it mid-way, the next settles it.
	settleBound = 31 * time.Minute
	// undeliveredBound: a token whose modal could not show it is deleted in the same step; a
	// minute covers Datacake's answer.
	undeliveredBound = time.Minute
	// lapseBound: the pending sweep (every 5 minutes) lapses an approval whose reveal_within
	// has passed; one run may just miss it.
	lapseBound = 5*time.Minute + 5*time.Second
	// grace follows a disturbance (a Datacake or Slack storm, a crash, a clock jump, a full
	// disk): a delete that failed in it is retried after a backoff of up to
	// commands.RevokeRetryMax, so promises are judged only that long after it ended.
	grace = commands.RevokeRetryMax + 5*time.Minute
)

// violation is a broken promise.
type violation struct {
	invariant, detail string
}

// due is when a promise about something that became due at t must hold: bound later, and
// never before the grace after the last disturbance.
func (w *World) due(t time.Time, bound time.Duration) time.Time {
	d := t.Add(bound)
	if g := w.faults.lastDisturbance.Add(grace); g.After(d) {
		d = g
	}
	return d
}

// check runs every invariant against the world as it is now; it returns the first broken
// one that counts (see knownBugs), and the earliest time a time-bound promise may break
// if nothing else changes.
func (w *World) check(final bool) (*violation, time.Time) {
	ctx := context.Background()
	now := w.clock.Now()
	nextDeadline := now.Add(24 * time.Hour)
	vs := w.model.broken
	w.model.broken = nil
	add := func(inv, format string, args ...any) { vs = append(vs, violation{inv, fmt.Sprintf(format, args...)}) }
	// deadline asks for a check just after t, when a promise due at t may have broken.
	deadline := func(t time.Time) {
		t = t.Add(time.Second)
		if t.After(now) && t.Before(nextDeadline) {
			nextDeadline = t
		}
	}

	// Datacake's API users: new ones are cakegate's (the simulation adds its own to the
	// model as it makes them); vanished ones were deleted by cakegate unless by the portal.
	live := map[string]bool{}
	for _, u := range w.dc.APIUsers(workspace) {
		live[u.ID] = true
		if _, ok := w.model.users[u.ID]; !ok {
			w.model.add(&userFact{id: u.ID, name: u.Name, token: u.Token, origin: "cakegate", installation: w.installation, created: now})
		}
	}
	// Made and deleted again since the last check: known only from the deleted list.
	for _, u := range w.dc.DeletedAPIUsersSince(w.model.deletedSeen) {
		w.model.deletedSeen++
		if _, ok := w.model.users[u.ID]; !ok {
			w.model.add(&userFact{id: u.ID, name: u.Name, token: u.Token, origin: "cakegate", installation: w.installation, created: now})
		}
	}
	for _, id := range w.model.order {
		f := w.model.users[id]
		if f.gone || live[id] {
			continue
		}
		f.gone = true
		if w.model.portal[id] {
			continue
		}
		if f.origin != "cakegate" {
			add(invForeignKept, "cakegate deleted %s API user %s", f.origin, f.name)
		} else if f.installation != w.installation {
			add(invForeignKept, "cakegate (installation %d) deleted API user %s of installation %d", w.installation, f.name, f.installation)
		}
	}

	// Slack: where tokens went, and what the approvals channel was told.
	for _, c := range w.slack.CallsSince(w.model.slackSeen) {
		w.model.slackSeen++
		text := callText(c)
		tokens([]byte(text), func(tok string) {
			f, ok := w.model.byToken[tok]
			if !ok {
				return
			}
			_, requester, _ := madeFor(f.name)
			v, _ := w.slack.View(c.Params["view_id"])
			if f.origin != "cakegate" || c.Method != "views.update" || v.Type != "modal" || !strings.EqualFold(v.User, requester) {
				add(invTokenToRequester, "the token of %s went by %s (channel %q, view %q of %q)", f.name, c.Method, c.Params["channel"], c.Params["view_id"], v.User)
				return
			}
			if c.OK() {
				f.delivered++
				w.counts["token shown in a modal"]++
			}
		})
		if c.Method == "chat.postMessage" && c.Params["channel"] == approvalsChannel {
			for _, name := range apiUserNamePattern.FindAllString(text, -1) {
				w.model.reported[name] = true
			}
		}
	}

	// Answers to response URLs (slash commands, clicks): never a token.
	for _, body := range w.model.responses {
		tokens(body, func(tok string) {
			if f, ok := w.model.byToken[tok]; ok {
				add(invTokenToRequester, "the token of %s went in a response_url answer", f.name)
			}
		})
	}
	w.model.responses = w.model.responses[:0]

	// Logs.
	if w.logs.Len() > w.model.logSeen {
		fresh := w.logs.Bytes()[w.model.logSeen:]
		w.model.logSeen = w.logs.Len()
		tokens(fresh, func(tok string) {
			if f, ok := w.model.byToken[tok]; ok {
				add(invTokenNotLogged, "the token of %s is in the log", f.name)
			}
		})
		for _, m := range panicked.FindAllSubmatch(fresh, -1) {
			add(invNoPanic, "%s: %s", m[1], m[2])
		}
		if bytes.Contains(fresh, []byte("giving up on a notification")) {
			w.checkDeadLetters(ctx, fresh, add)
		}
	}

	if w.app != nil {
		w.checkRequests(ctx, now, live, add, deadline, final)
	}
	w.model.checks++
	if final {
		w.checkFinal(ctx, add)
	} else if w.model.checks%fileCheckEvery == 0 {
		w.checkFile(add)
	}

	for _, v := range vs {
		if w.fails(v) {
			return &v, nextDeadline
		}
	}
	return nil, nextDeadline
}

// checkRequests judges the database's requests against Datacake and the clock.
func (w *World) checkRequests(ctx context.Context, now time.Time, live map[string]bool, add func(string, string, ...any), deadline func(time.Time), final bool) {
	store := w.app.Store()
	open, err := w.openRequests(ctx)
	if err != nil {
		add(invAudited, "cannot read the open requests: %v", err)
		return
	}
	owned := map[string]*commands.Request{}
	isOpen := map[commands.RequestID]bool{}
	for _, r := range open {
		isOpen[r.ID] = true
		if r.Grant != nil && r.State != commands.StatePending && r.State != commands.StateApproved {
			owned[r.Grant.APIUserID] = r
		}
		prev, seen := w.model.seen[r.ID]
		if !seen || prev.state != r.State {
			w.checkChange(ctx, r, prev.state, add)
			w.model.seen[r.ID] = seenState{r.State, now}
			prev = w.model.seen[r.ID]
		}
		if r.State == commands.StateProvisioning || r.State == commands.StateRevoking {
			d := w.due(prev.since, settleBound)
			if now.After(d) {
				what := "no API user recorded"
				if r.Grant != nil {
					what = "its API user " + r.Grant.APIUserName + " recorded"
					if f, ok := w.model.users[r.Grant.APIUserID]; ok && f.delivered > 0 {
						what += ", its token delivered"
					}
				}
				add(invNoRest, "%s has rested in %s since %s (%s)", r.ID, r.State, prev.since.Format(time.DateTime), what)
			}
			deadline(d)
		}
		if r.State == commands.StateApproved && !r.RevealBy.IsZero() {
			// Not revealed: it rests in approved until its reveal_within, then lapses.
			d := w.due(r.RevealBy, lapseBound)
			if now.After(d) {
				add(invLapse, "%s was to be revealed by %s; it is still approved", r.ID, r.RevealBy.Format(time.DateTime))
			}
			deadline(d)
		}
		if r.Grant != nil && r.State != commands.StatePending && r.State != commands.StateApproved && live[r.Grant.APIUserID] {
			end := r.Grant.ExpiresAt
			if d := w.due(end, expiryBound); now.After(d) {
				add(invDiesAtEnd, "%s (%s) ended at %s; its API user %s still exists", r.ID, r.State, end.Format(time.DateTime), r.Grant.APIUserName)
			} else {
				deadline(d)
			}
			if d := end.Add(preciseBound); now.After(d) && now.After(w.faults.lastDisturbance.Add(grace)) {
				add(invDiesWithin2s, "%s ended at %s; its API user %s still exists at %s", r.ID, end.Format(time.DateTime), r.Grant.APIUserName, now.Format(time.DateTime))
			} else {
				deadline(d)
			}
		}
	}
	w.checkLeavers(now, open, add, deadline)

	// Requests that left the open states since the last check.
	for id, prev := range w.model.seen {
		if isOpen[id] {
			continue
		}
		delete(w.model.seen, id)
		r, err := store.Get(ctx, id)
		if err != nil {
			continue // an older or empty database does not know it
		}
		w.checkChange(ctx, r, prev.state, add)
	}

	for _, id := range w.model.order {
		f := w.model.users[id]
		if f.gone || f.origin != "cakegate" {
			continue
		}
		if !f.leakedAt.IsZero() && f.installation == w.installation {
			d := w.due(f.leakedAt, undeliveredBound)
			if now.After(d) {
				add(invLeakDies, "the token of %s was pasted in a message at %s; its API user still exists", f.name, f.leakedAt.Format(time.DateTime))
			}
			deadline(d)
		}
		// A token nobody received must not exist: deleted at once when its modal cannot
		// show it (closed, expired trigger, Slack down), or at the next start after a crash.
		if f.delivered == 0 && f.installation == w.installation {
			d := w.due(f.created, undeliveredBound)
			if now.After(d) {
				add(invTokenReached, "API user %s has existed since %s, but its token never reached its requester", f.name, f.created.Format(time.DateTime))
			}
			deadline(d)
		}
		if owned[id] != nil {
			f.unownedSince = time.Time{}
			continue
		}
		if f.installation != w.installation {
			continue // another installation's now: not this database's to judge
		}
		if f.unownedSince.IsZero() {
			f.unownedSince = now
		}
		if w.model.reported[f.name] {
			continue
		}
		d := w.due(f.unownedSince, settleBound)
		if now.After(d) {
			add(invNoOrphan, "API user %s has had no grant since %s and was neither deleted nor reported", f.name, f.unownedSince.Format(time.DateTime))
		}
		deadline(d)
	}
}

// leaverBound is how soon a deactivated account loses its access when cakegate was told
// (user_change), and leaverSweepBound when it was not: the leavers sweep runs daily.
const (
	leaverBound      = 2 * time.Minute
	leaverSweepBound = 24*time.Hour + 5*time.Minute
)

// checkLeavers: a deactivated account keeps no grant and no request waiting to become one.
func (w *World) checkLeavers(now time.Time, open []*commands.Request, add func(string, string, ...any), deadline func(time.Time)) {
	for user, l := range w.model.left {
		bound := leaverSweepBound
		if l.told {
			bound = leaverBound
		}
		d := w.due(l.at, bound)
		if !now.After(d) {
			deadline(d)
			continue
		}
		for _, r := range open {
			if r.Requester == user && r.State != commands.StateRevoking {
				add(invLeaverLoses, "%s of %s, deactivated at %s (told: %v), is still %s", r.ID, lowerName(user), l.at.Format(time.DateTime), l.told, r.State)
			}
		}
	}
}

// openRequests reads the requests in open states, or returns what it read last if no
// write since could have changed them (most steps only retry a notification).
func (w *World) openRequests(ctx context.Context) ([]*commands.Request, error) {
	c := &w.model.open
	if c.read && c.at == w.requestsVersion() {
		return c.requests, nil
	}
	var open []*commands.Request
	for _, s := range []commands.State{commands.StatePending, commands.StateApproved, commands.StateProvisioning, commands.StateActive, commands.StateRevoking} {
		rs, err := w.app.Store().InState(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("%s requests: %w", s, err)
		}
		open = append(open, rs...)
	}
	*c = openRead{read: true, at: w.requestsVersion(), requests: open}
	return open, nil
}

// checkChange judges one request that changed state: the change is audited, and a grant
// comes only from the policy in force.
func (w *World) checkChange(ctx context.Context, r *commands.Request, from commands.State, add func(string, string, ...any)) {
	events, err := w.app.Store().AuditForRequest(ctx, r.ID)
	if err != nil {
		add(invAudited, "cannot read the audit of %s: %v", r.ID, err)
		return
	}
	var last commands.State
	for _, e := range events {
		if e.To != "" {
			last = e.To
		}
	}
	if last != r.State {
		add(invAudited, "%s is %s, but its last audited state is %q", r.ID, r.State, last)
	}
	granted := r.State == commands.StateApproved || r.State == commands.StateProvisioning || r.State == commands.StateActive
	if granted && (from == "" || from == commands.StatePending) && r.Extension == nil {
		approvers, ok := policyApprovers(w.policy, r.Role)
		// Those the policy's escalate_to names count once the request was escalated to them.
		for _, u := range policyEscalateTo(w.policy, r.Role) {
			if slices.Contains(r.Escalation.To, u) {
				approvers = append(approvers, u)
			}
		}
		if !ok {
			add(invPolicy, "%s was granted role %s, which the policy in force does not have", r.ID, r.Role)
			return
		}
		for _, a := range r.Approvals {
			if a.User == r.Requester || !slices.Contains(approvers, a.User) {
				add(invPolicy, "%s (role %s) counts an approval by %s, who may not approve it", r.ID, r.Role, a.User)
			}
		}
	}
}

// checkDeadLetters: the outbox gave up on the notifications named in these log lines; each
// must be dead-lettered (audited, with an alert queued for the approvals channel) or, if the
// process died before it could say so, still be queued for the next attempt.
func (w *World) checkDeadLetters(ctx context.Context, logs []byte, add func(string, string, ...any)) {
	if w.app == nil {
		return
	}
	store := w.app.Store()
	recent, err := store.RecentAudit(ctx, 200)
	if err != nil {
		return
	}
	queued, err := store.DueNotifications(ctx, w.clock.Now().Add(1000*24*time.Hour), 0)
	if err != nil {
		return
	}
	for _, m := range givenUp.FindAllSubmatch(logs, -1) {
		w.counts["outbox gave up on a notification"]++
		id := string(m[1])
		ok := slices.ContainsFunc(recent, func(e commands.AuditEvent) bool {
			return e.Action == "dead_letter" && strings.HasPrefix(e.Detail, "notification "+id+":")
		}) || slices.ContainsFunc(queued, func(n commands.Notification) bool { return fmt.Sprint(n.ID) == id })
		if !ok {
			add(invDeadLetter, "notification %s was given up, but neither dead-lettered nor kept: %s", id, firstLine(string(m[0])))
		}
	}
}

// givenUp finds the outbox's give-up log lines and the notification each names.
var givenUp = regexp.MustCompile(`giving up on a notification" component=bot notification=(\d+)[^\n]*`)

// checkFinal checks what must hold once the world is quiet.
func (w *World) checkFinal(ctx context.Context, add func(string, string, ...any)) {
	if w.app == nil {
		return
	}
	if n, err := w.app.Store().OutboxDepth(ctx); err != nil || n > 0 {
		add(invOutbox, "%d notifications are still waiting after a quiet spell (%v)", n, err)
	}
	if broken, err := w.app.Store().VerifyAudit(ctx); err != nil {
		add(invAuditChain, "the audit chain is broken at %d: %v", broken, err)
	}
	w.checkFile(add)
}

// checkFile searches the database file for every token the fake ever issued.
func (w *World) checkFile(add func(string, string, ...any)) {
	data, err := os.ReadFile(w.dbPath())
	if err != nil {
		return
	}
	tokens(data, func(tok string) {
		if f, ok := w.model.byToken[tok]; ok {
			add(invTokenNotStored, "the token of %s is in the database file", f.name)
		}
	})
}

// callText is everything a Slack call carried, as one string to search.
func callText(c slacktest.Call) string {
	var b strings.Builder
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(c.Params[k])
		b.WriteByte('\n')
	}
	b.Write(c.Blocks)
	return b.String()
}
