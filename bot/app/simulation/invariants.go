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

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// The invariants: cakegate's promises, stated from the outside where possible (the fake
// Datacake's API users and their tokens, the fake Slack's calls, the database file's bytes,
// the logs, the audit chain).
const (
	invForeignKept      = "foreign-users-never-deleted"    // another installation's or a hand-made API user is never deleted without an approver's click
	invAdoptedOnTime    = "adopted-deleted-only-at-end"    // an adopted API user is deleted at its end, or when someone revokes it; never before on its own
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
	invPolicy           = "grant-only-by-policy"              // granted only for a role the policy has, by that role's approvers
	invNoPanic          = "no-panics"                         // nothing cakegate does panics (it would recover, and skip the rest of that work)
	invReplayDropped    = "replayed-request-dropped"          // a signed request sent again byte for byte is answered 200 and does nothing
	invLeaverLoses      = "leaver-loses-access"               // a deactivated account holds no grant and no waiting request: at once when Slack says so, by the next daily sweep when the event was lost
	invLeaverIn2s       = "leaver-holds-no-token-2s"          // no token that reached a deactivated person lives 2 s after their deactivation is acknowledged
	invLifetime         = "grant-within-role-max"             // a grant's end − its first reveal ≤ its role's max_duration, across re-issues and extensions
	invOneUser          = "one-api-user-per-request"          // at most one live API user per request, at every step
	invFalseOrphan      = "orphan-only-when-unowned"          // cakegate deletes or reports as an orphan only an API user it has not deleted already
	invOpenCap          = "open-requests-capped"              // nobody has more than max_open_requests waiting for approval, however fast they ask
	invOneDelivery      = "one-request-per-delivery"          // one Slack delivery (its trigger id) makes at most one request, however often it arrives
	invTakenOver        = "dead-replica-work-taken-over"      // what a killed replica was provisioning is taken over within 10 s (issue 23's goal)
	invReturnerServed   = "returner-may-ask-again"            // a person whose account is active again is never refused as deactivated, told by an event or not
	invTemplate         = "template-never-widens"             // a request made from a template has its role and no more than that role allows
	invNoEarlyToken     = "no-token-before-start"             // no API user of a scheduled request is made before its start
	invStartEnd         = "grant-ends-by-start-plus-duration" // a scheduled grant ends by its start + duration, unless an approved extension moved it
	invOnCall           = "on-call-only-members"              // the on-call rule approves only its role's requests within its max_duration, by a member of its group within a minute of the moment
)

// takeoverBound is how soon another replica must take over what a killed one was
// provisioning. The promise is 10 s from the kill to a working Reveal; in production up to
// a session TTL of it passes before etcd ends the dead replica's session, but here the
// driver ends it at once, so only the rest is left to the takeover's own work.
const takeoverBound = 10*time.Second - app.DefaultSessionTTL

// maxOpenRequests is the policy's max_open_requests (the default: the simulated policy sets none).
const maxOpenRequests = commands.DefaultMaxOpenRequests

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
	// lifetimeSlack: a grant's clock starts when cakegate records the API user, a moment
	// after Datacake made it.
	lifetimeSlack = time.Minute
)

// violation is a broken promise.
type violation struct {
	invariant, detail string
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

	live := w.scanDatacake(now, add)
	w.scanSlack(add)

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
		w.checkAudit(ctx, add)
		w.checkRequests(ctx, now, live, add, deadline)
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

// scanDatacake brings the model up to date with Datacake's API users: new ones are
// cakegate's (the simulation adds its own to the model as it makes them); vanished ones
// were deleted by cakegate unless by the portal. It returns the live ones.
func (w *World) scanDatacake(now time.Time, add func(string, string, ...any)) map[string]bool {
	live := map[string]bool{}
	fresh := func(id, name, token string, created time.Time) {
		if _, ok := w.model.users[id]; !ok {
			w.model.add(&userFact{id: id, name: name, token: token, origin: "cakegate", installation: w.installation, generation: w.generation, created: created})
		}
	}
	for _, u := range w.dc.APIUsers(workspace) {
		live[u.ID] = true
		fresh(u.ID, u.Name, u.Token, u.Created)
	}
	// Made and deleted again since the last check: known only from the deleted list.
	for _, u := range w.dc.DeletedAPIUsersSince(w.model.deletedSeen) {
		w.model.deletedSeen++
		fresh(u.ID, u.Name, u.Token, u.Created)
	}
	perRequest := map[requestKey][]string{}
	for _, id := range w.model.order {
		f := w.model.users[id]
		if f.gone {
			continue
		}
		if live[id] {
			if k, ok := f.key(); ok && f.installation == w.installation && f.generation == w.generation {
				perRequest[k] = append(perRequest[k], f.name+" ("+f.id+")")
			}
			continue
		}
		f.gone, f.goneAt = true, now
		if w.model.portal[id] {
			continue
		}
		if w.judgeAdoptedGone(f, now, add) {
			continue // adopted: judged by its record, whoever made it
		}
		if w.model.reviewDeleted[id] {
			continue // an approver clicked Delete in an access review (another installation's too)
		}
		if f.origin != "cakegate" {
			add(invForeignKept, "cakegate deleted %s API user %s", f.origin, f.name)
		} else if f.installation != w.installation {
			add(invForeignKept, "cakegate (installation %d) deleted API user %s of installation %d", w.installation, f.name, f.installation)
		}
	}
	for k, users := range perRequest {
		if len(users) > 1 {
			add(invOneUser, "%s has %d live API users: %s", k.id, len(users), strings.Join(users, ", "))
		}
	}
	return live
}

// scanSlack follows every call cakegate made to Slack: where tokens went, and what the
// approvals channel was told.
func (w *World) scanSlack(add func(string, string, ...any)) {
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
				if k, ok := f.key(); ok && f.delivered == 1 {
					w.model.revealed[k] = append(w.model.revealed[k], f)
				}
			}
		})
		if c.Method == "chat.postMessage" && c.Params["channel"] == approvalsChannel {
			for _, name := range apiUserNamePattern.FindAllString(text, -1) {
				w.model.reported[name] = true
			}
		}
	}
}

// checkRequests judges the database's requests against Datacake and the clock.
func (w *World) checkRequests(ctx context.Context, now time.Time, live map[string]bool, add func(string, string, ...any), deadline func(time.Time)) {
	store := w.app.Store()
	out := w.faults.out
	open, err := w.openRequests(ctx)
	if err != nil {
		add(invAudited, "cannot read the open requests: %v", err)
		return
	}
	owned := map[string]*commands.Request{}
	isOpen := map[commands.RequestID]bool{}
	pendingBy, byKey := map[string]int{}, map[string]commands.RequestID{}
	for _, r := range open {
		if r.State == commands.StatePending {
			if pendingBy[r.Requester]++; pendingBy[r.Requester] == maxOpenRequests+1 {
				add(invOpenCap, "%s has %d requests waiting for approval, more than max_open_requests (%d)", lowerName(r.Requester), pendingBy[r.Requester], maxOpenRequests)
			}
		}
		if r.Key != "" {
			if other, dup := byKey[r.Key]; dup {
				add(invOneDelivery, "%s and %s were made by the same delivery", other, r.ID)
			}
			byKey[r.Key] = r.ID
		}
		isOpen[r.ID] = true
		if r.Grant != nil && r.State != commands.StatePending && r.State != commands.StateApproved {
			owned[r.Grant.APIUserID] = r
		}
		prev, seen := w.model.seen[r.ID]
		if !seen {
			w.checkTemplate(r, now, add)
		}
		if !seen || prev.state != r.State {
			w.checkChange(ctx, r, prev.state, add)
			w.model.seen[r.ID] = seenState{r.State, now}
			prev = w.model.seen[r.ID]
		}
		w.checkLifetime(r, add)
		w.checkStart(ctx, r, add)
		if died, dead := w.model.deadRuns[r.ProvisionedBy]; dead && r.State == commands.StateProvisioning {
			d := later(died, prev.since).Add(takeoverBound)
			if now.After(d) {
				add(invTakenOver, "%s is still provisioning by a replica killed at %s", r.ID, died.Format(time.DateTime))
			}
			deadline(d)
		}
		if r.State == commands.StateProvisioning || r.State == commands.StateRevoking {
			d := out.due(pNoRest, prev.since, "")
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
			// Due from its reveal_within, or from when this database showed it (a restored
			// backup brings back approvals whose time ran out while it lay on the shelf).
			d := out.due(pLapse, later(r.RevealBy, prev.since), "")
			if now.After(d) {
				add(invLapse, "%s was to be revealed by %s; it is still approved", r.ID, r.RevealBy.Format(time.DateTime))
			}
			deadline(d)
		}
		if r.Grant != nil && r.State != commands.StatePending && r.State != commands.StateApproved && live[r.Grant.APIUserID] {
			end, id := later(r.Grant.ExpiresAt, prev.since), r.Grant.APIUserID
			if d := out.due(pDiesAtEnd, end, id); now.After(d) {
				add(invDiesAtEnd, "%s (%s) ended at %s; its API user %s still exists", r.ID, r.State, end.Format(time.DateTime), r.Grant.APIUserName)
			} else {
				deadline(d)
			}
			if d := out.due(pDiesIn2s, end, id); now.After(d) {
				add(invDiesWithin2s, "%s ended at %s; its API user %s still exists at %s", r.ID, end.Format(time.DateTime), r.Grant.APIUserName, now.Format(time.DateTime))
			} else {
				deadline(d)
			}
		}
	}
	w.checkLeavers(now, open, live, add, deadline)

	// Requests that left the open states since the last check.
	for id, prev := range w.model.seen {
		if isOpen[id] {
			continue
		}
		delete(w.model.seen, id)
		delete(w.model.ends, id)
		r, err := store.Get(ctx, id)
		if err != nil {
			continue // an older or empty database does not know it
		}
		w.checkChange(ctx, r, prev.state, add)
	}

	// What reconcile finds orphaned: live and unowned. Those not reported yet are judged;
	// all of them count against orphans_brake, as cakegate counts them.
	var orphans []*userFact
	unowned := 0
	for _, id := range w.model.order {
		f := w.model.users[id]
		if f.gone || f.origin != "cakegate" {
			continue
		}
		if !f.leakedAt.IsZero() && f.installation == w.installation {
			d := out.due(pLeakDies, f.leakedAt, f.id)
			if now.After(d) {
				add(invLeakDies, "the token of %s was pasted in a message at %s; its API user still exists", f.name, f.leakedAt.Format(time.DateTime))
			}
			deadline(d)
		}
		// A token nobody received must not exist: deleted at once when its modal cannot
		// show it (closed, expired trigger, Slack down), or at the next start after a crash.
		if f.delivered == 0 && f.installation == w.installation {
			d := out.due(pReached, f.created, f.id)
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
		unowned++
		if !w.model.reported[f.name] {
			orphans = append(orphans, f)
		}
	}
	// Orphans beyond orphans_brake are held and reported, not deleted (commands.handleOrphans).
	path := pNoOrphan
	if unowned > commands.DefaultOrphansBrake {
		path = pNoOrphanHeld
	}
	for _, f := range orphans {
		d := out.due(path, f.unownedSince, "")
		if now.After(d) {
			add(invNoOrphan, "API user %s has had no grant since %s and was neither deleted nor reported", f.name, f.unownedSince.Format(time.DateTime))
		}
		deadline(d)
	}
}

// checkLifetime: each new end of a grant is within its role's max_duration (as the policy
// in force says) of its first reveal, which the simulation saw: when the first token of the
// request reached its requester's modal, the grant's clock started at its API user's birth.
func (w *World) checkLifetime(r *commands.Request, add func(string, string, ...any)) {
	if r.Grant == nil || r.Grant.ExpiresAt.Equal(w.model.ends[r.ID]) {
		return
	}
	w.model.ends[r.ID] = r.Grant.ExpiresAt
	if r.Adopted != nil {
		checkAdoptedLifetime(r, add)
		return
	}
	first, ok := w.model.firstReveal(requestKey{w.installation, w.generation, r.ID})
	if !ok {
		return // not revealed yet (a grant recorded before its token left), or before a restore
	}
	max := w.policy.maxDuration(r.Role)
	if life := r.Grant.ExpiresAt.Sub(first); life > max+lifetimeSlack {
		add(invLifetime, "%s (role %s, at most %s) was first revealed at %s and now ends at %s: %s in all", r.ID, r.Role, commands.FormatDuration(max), first.Format(time.DateTime), r.Grant.ExpiresAt.Format(time.DateTime), commands.FormatDuration(life.Round(time.Minute)))
	}
}

// leaverBound is how soon a deactivated account loses its access when cakegate was told
// (user_change), and leaverSweepBound when it was not: the leavers sweep runs daily.
const (
	leaverBound      = 2 * time.Minute
	leaverSweepBound = 24*time.Hour + 5*time.Minute
)

// checkLeavers: a deactivated account keeps no grant and no request waiting to become one,
// and, once cakegate acknowledged the deactivation, no token it received lives after 2 s.
func (w *World) checkLeavers(now time.Time, open []*commands.Request, live map[string]bool, add func(string, string, ...any), deadline func(time.Time)) {
	out := w.faults.out
	for _, user := range sortedKeys(w.model.left) {
		l := w.model.left[user]
		if l.told {
			for _, id := range w.model.order {
				f := w.model.users[id]
				if _, requester, ok := madeFor(f.name); !ok || f.gone || !live[id] || f.origin != "cakegate" || f.installation != w.installation || !strings.EqualFold(requester, user) {
					continue
				}
				if f.delivered == 0 {
					// Its token never reached them (its answer was lost on the way to
					// cakegate, or it was deleted unseen): nothing to hold. Its API user
					// still ends by token-reached-requester's bound.
					continue
				}
				d := out.due(pLeaverIn2s, l.at, f.id)
				if now.After(d) {
					add(invLeaverIn2s, "%s was deactivated at %s and cakegate acknowledged it, but their API user %s still exists", lowerName(user), l.at.Format(time.DateTime), f.name)
				}
				deadline(d)
			}
		}
		p := pLeaverSweep
		if l.told {
			p = pLeaverTold
		}
		d := out.due(p, l.at, "")
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

// deactivatedRefusal is in cakegate's answer to a request of a person it holds deactivated.
const deactivatedRefusal = "your account was deactivated"

// judgeRefusal: user was refused as deactivated. A person whose account is active, never
// deactivated or back, may ask: cakegate forgets the deactivation when Slack's event says
// they are back, and asks Slack at their request when that event was lost. Only Slack or
// the disk being down (or cakegate itself) excuses the refusal.
func (w *World) judgeRefusal(user string) {
	if _, gone := w.model.left[user]; gone {
		return
	}
	now, back := w.clock.Now(), w.model.back[user]
	if w.crashed != "" || w.faults.out.excusedUntil(pReturner).After(now) {
		return // the process died while forgetting it, or Slack or the disk is down
	}
	since := "never deactivated"
	if !back.IsZero() {
		since = "active again since " + back.Format(time.DateTime)
	}
	w.model.broken = append(w.model.broken, violation{invReturnerServed, fmt.Sprintf("%s (%s) was refused as deactivated", lowerName(user), since)})
}

// sortedKeys returns m's keys in order: map order must not decide what a check reports.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
	if granted && (from == "" || from == commands.StatePending) {
		w.checkOnCall(r, add)
	}
	if granted && (from == "" || from == commands.StatePending) && r.Extension == nil {
		approvers := w.policy.roleApprovers(r.Role)
		// Those the policy's escalate_to names count once the request was escalated to them.
		for _, u := range w.policy.escalateTo(r.Role) {
			if slices.Contains(r.Escalation.To, u) {
				approvers = append(approvers, u)
			}
		}
		if r.Adopted != nil {
			w.checkAdoption(r, add)
			return
		}
		if !w.policy.hasRole(r.Role) {
			add(invPolicy, "%s was granted role %s, which the policy in force does not have", r.ID, r.Role)
			return
		}
		for _, a := range r.Approvals {
			if a.User == r.Requester || !slices.Contains(approvers, a.User) {
				add(invPolicy, "%s (role %s) counts an approval by %s, who may not approve it under the policy in force (%s)", r.ID, r.Role, a.User, w.policy)
			}
		}
		if !w.policy.mayRequest(r.Requester, r.Role) {
			add(invPolicy, "%s (role %s) was granted to %s, who may not ask for it under the policy in force (%s)", r.ID, r.Role, lowerName(r.Requester), w.policy)
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
	} else {
		w.outbox.finalCheck(add)
	}
	if broken, err := w.app.Store().VerifyAudit(ctx); err != nil {
		add(invAuditChain, "the audit chain is broken at %d: %v", broken, err)
	}
	w.checkFile(add)
}

// checkFile searches the database (the bbolt file, or every key and value under the etcd
// prefix) for every token the fake ever issued.
func (w *World) checkFile(add func(string, string, ...any)) {
	found := func(data []byte) {
		tokens(data, func(tok string) {
			if f, ok := w.model.byToken[tok]; ok {
				add(invTokenNotStored, "the token of %s is in the database", f.name)
			}
		})
	}
	if w.replicated() {
		if err := w.etcd.values(w.prefix, found); err != nil {
			add(invTokenNotStored, "cannot read the etcd store: %v", err)
		}
		return
	}
	data, err := os.ReadFile(w.dbPath())
	if err != nil {
		return
	}
	found(data)
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
