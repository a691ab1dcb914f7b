package simulation

import (
	"time"

	"github.com/cakegate/cakegate/commands"
)

// model is what the simulation knows to be true, from having watched everything happen:
// which API users exist and who made them, where each token went, how long each request
// has rested in a state. The invariants judge cakegate against it.
type model struct {
	users   map[string]*userFact // by API user id
	order   []string             // ids in the order they appeared
	byToken map[string]*userFact
	// portal holds the ids the simulated people deleted in Datacake's portal.
	portal map[string]bool
	// reviewDeleted holds the ids a top-level approver clicked Delete on in an access
	// review: the one way cakegate may delete an API user it did not make.
	reviewDeleted map[string]bool
	// adopted holds the API users someone tried to adopt from a review, by id.
	adopted map[string]bool

	slackSeen   int // Slack calls already scanned
	deletedSeen int // API users deleted already read from the fake
	logSeen     int // bytes of the log already scanned
	// responses are the response_url answers of the last step, to search for tokens.
	responses [][]byte

	// seen is the state each open request was last seen in, and since when.
	seen map[commands.RequestID]seenState
	// reported holds API user names mentioned in the approvals channel.
	reported map[string]bool
	checks   int // how many times the invariants were checked
	// knownHit holds the known-bug invariants already broken in this run.
	knownHit map[string]string
	// open is the open requests as last read, and when.
	open openRead
	// broken are promises the actions saw broken, for the next check to report.
	broken []violation
	// left are the people whose Slack accounts are deactivated now, since when, and
	// whether cakegate was told by an acknowledged user_change event.
	left map[string]leaver
	// back is when each person's account was last reactivated.
	back map[string]time.Time
	// audit is what was read of the audit trail.
	audit auditWatch
	// revealed are the API users of each request whose token reached its requester; made,
	// every API user cakegate made for each request.
	revealed, made map[requestKey][]*userFact
	// ends is the grant end each request was last seen with, to judge each new end once.
	ends map[commands.RequestID]time.Time
	// deadRuns are the runs of replicas that were killed, and when (nodes.go).
	deadRuns map[string]time.Time
	// lastDelete is the last call that asked Datacake to delete each API user, and
	// removedBy the call that did delete it (transport.calls), by id.
	lastDelete, removedBy map[string]int
	// roster is every list of the on-call group, oldest first (oncall.go).
	roster []rosterChange
	// judgedStartEnd is the grant end each scheduled request was last judged with (starts.go).
	judgedStartEnd map[commands.RequestID]time.Time
	// startsRevealed holds the scheduled requests seen with a grant, to count them once.
	startsRevealed map[commands.RequestID]bool
}

// requestKey names a request across databases: the installation and generation whose
// database made it, and its id there.
type requestKey struct {
	installation, generation int
	id                       commands.RequestID
}

// leaver is a deactivated account.
type leaver struct {
	at, back time.Time // deactivated at, reactivated at
	told     bool
}

// openRead is the open requests as read at a requestsVersion.
type openRead struct {
	read     bool
	at       requestsVersion
	requests []*commands.Request
}

// userFact is one API user as the simulation saw it.
type userFact struct {
	id, name, token string
	// origin is "cakegate" (cakegate made it), "hand" (a person in the portal) or
	// "foreign" (another installation).
	origin string
	// installation is the installation whose database was in use when cakegate made it,
	// and generation that database's generation (World.generation).
	installation, generation int
	created                  time.Time
	gone                     bool
	goneAt                   time.Time
	// unownedSince is when it was first seen without a grant that owns it (zero: owned).
	unownedSince time.Time
	// leakedAt is when its requester pasted its token where others can read it.
	leakedAt time.Time
	// delivered counts the modals on its requester's screen that showed its token.
	delivered int
}

type seenState struct {
	state commands.State
	since time.Time
}

func newModel() *model {
	return &model{
		users:         map[string]*userFact{},
		byToken:       map[string]*userFact{},
		portal:        map[string]bool{},
		reviewDeleted: map[string]bool{},
		adopted:       map[string]bool{},
		left:          map[string]leaver{},
		back:          map[string]time.Time{},
		seen:          map[commands.RequestID]seenState{},
		reported:      map[string]bool{},
		knownHit:      map[string]string{},

		revealed:   map[requestKey][]*userFact{},
		made:       map[requestKey][]*userFact{},
		lastDelete: map[string]int{},
		deadRuns:   map[string]time.Time{},
		removedBy:  map[string]int{},
		ends:       map[commands.RequestID]time.Time{},

		judgedStartEnd: map[commands.RequestID]time.Time{},
		startsRevealed: map[commands.RequestID]bool{},
	}
}

// firstReveal is when the first token of request k that reached its requester and lived
// on was made: the grant's lifetime counts from it, across re-issues and extensions. A
// token deleted at once because cakegate could not tell it was shown (Slack's answer to the
// modal's update was lost) does not start the clock: the Reveal button works again.
func (m *model) firstReveal(k requestKey) (time.Time, bool) {
	var first time.Time
	for _, f := range m.revealed[k] {
		if f.gone && f.goneAt.Sub(f.created) < shownAndDeleted {
			continue
		}
		if first.IsZero() || f.created.Before(first) {
			first = f.created
		}
	}
	return first, !first.IsZero()
}

// shownAndDeleted: a token deleted this soon after it was made was deleted by the reveal
// that made it.
const shownAndDeleted = 2 * time.Minute

// key names the request a cakegate API user was made for, or false for another's.
func (f *userFact) key() (requestKey, bool) {
	id, _, ok := madeFor(f.name)
	if !ok || f.origin != "cakegate" {
		return requestKey{}, false
	}
	return requestKey{f.installation, f.generation, id}, true
}

// firstUserFor is when the first API user cakegate made for request k, by until, was
// created.
func (m *model) firstUserFor(k requestKey, until time.Time) (time.Time, bool) {
	var first time.Time
	for _, f := range m.made[k] {
		if !f.created.After(until) && (first.IsZero() || f.created.Before(first)) {
			first = f.created
		}
	}
	return first, !first.IsZero()
}

// live reports whether the API user id was live at the last check.
func (m *model) live(id string) bool {
	f, ok := m.users[id]
	return ok && !f.gone
}

func (m *model) add(u *userFact) {
	m.users[u.id] = u
	m.order = append(m.order, u.id)
	m.byToken[u.token] = u
	if k, ok := u.key(); ok {
		m.made[k] = append(m.made[k], u)
	}
}

// tokens calls fn with every run of exactly 40 lower-case hex digits in b: the form of the
// fake's tokens. (A hand-written scan: it runs over every Slack call and log line.)
func tokens(b []byte, fn func(tok string)) {
	run := 0
	for i := 0; i <= len(b); i++ {
		if i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] >= 'a' && b[i] <= 'f') {
			run++
			continue
		}
		if run == 40 {
			fn(string(b[i-40 : i]))
		}
		run = 0
	}
}
