package simulation

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// A time-bound promise is excused only while a service it depends on is down, and for the
// time that service's failures take to be retried after it is back: a Slack outage does not
// excuse a Datacake delete, and a Datacake storm excuses only the deletes it failed.

// dep is a service or condition a promise depends on.
type dep uint

const (
	depDatacake dep = 1 << iota // any Datacake call (a storm)
	depSlack                    // any Slack call (a storm)
	depChannel                  // the approvals channel (archived)
	depProcess                  // cakegate itself (down between a stop and a start)
	depDisk                     // the database takes writes (a full disk)
	depClock                    // the machine was paused (a clock jump)
	depReplica                  // one replica of several died (its work waits for another to take it over)
)

var depNames = []struct {
	d    dep
	name string
}{{depDatacake, "datacake"}, {depSlack, "slack"}, {depChannel, "channel"}, {depProcess, "process"}, {depDisk, "disk"}, {depClock, "clock"}, {depReplica, "replica"}}

func (d dep) String() string {
	var out []string
	for _, n := range depNames {
		if d&n.d != 0 {
			out = append(out, n.name)
		}
	}
	return strings.Join(out, "+")
}

// recovery is how long after an outage of d its failures may take to be retried: a
// Datacake delete that failed waits out commands.RevokeRetryMax; a write the disk refused is
// tried again at the next sweep; a paused or stopped process catches up at once.
func recovery(d dep) time.Duration {
	switch d {
	case depDatacake, depSlack, depChannel:
		// A delete backs off to commands.RevokeRetryMax, a notification to an hour.
		return commands.RevokeRetryMax + 5*time.Minute
	case depDisk:
		return 5 * time.Minute
	case depReplica:
		// What a dead replica was provisioning waits for its lease to run out and the
		// leader's next reconcile (every 15 minutes): issue 23 shortens this to seconds.
		return commands.ProvisionLease + settleBound
	}
	return 0
}

// timed is a time-bound promise: what it depends on, and how long after its moment it must
// hold when nothing excuses it.
type timed struct {
	inv   string
	deps  dep
	bound time.Duration
	// perUser: a Datacake failure excuses it only for the API user whose delete failed,
	// not while Datacake misbehaves for others (the token-lifetime promises).
	perUser bool
}

// The time-bound promises.
var (
	pDiesAtEnd   = timed{invDiesAtEnd, depProcess | depDisk | depClock, expiryBound, true}
	pDiesIn2s    = timed{invDiesWithin2s, depProcess | depDisk | depClock, preciseBound, true}
	pLeakDies    = timed{invLeakDies, depProcess | depDisk | depClock, undeliveredBound, true}
	pLeaverIn2s  = timed{invLeaverIn2s, depProcess | depDisk | depClock, preciseBound, true}
	pLeaverTold  = timed{invLeaverLoses, depProcess | depDisk | depClock | depDatacake, leaverBound, false}
	pLeaverSweep = timed{invLeaverLoses, depProcess | depDisk | depClock | depDatacake | depSlack, leaverSweepBound, false}
	pNoRest      = timed{invNoRest, depProcess | depDisk | depClock | depDatacake | depReplica, settleBound, false}
	pLapse       = timed{invLapse, depProcess | depDisk | depClock, lapseBound, false}
	pReached     = timed{invTokenReached, depProcess | depDisk | depClock | depDatacake | depReplica, undeliveredBound, false}
	// An orphan is deleted by reconcile (its list and its delete: Datacake), unless there
	// are more than orphans_brake at once: then it is reported in the approvals channel
	// (Slack). A Slack outage does not excuse a delete; the share judged is the delete's.
	pNoOrphan     = timed{invNoOrphan, depProcess | depDisk | depClock | depDatacake, settleBound, false}
	pNoOrphanHeld = timed{invNoOrphan, depProcess | depDisk | depClock | depDatacake | depSlack | depChannel, settleBound, false}
	pReturner     = timed{invReturnerServed, depProcess | depDisk | depClock | depSlack, 0, false}
	timedAll      = []timed{pDiesAtEnd, pDiesIn2s, pLeakDies, pLeaverIn2s, pLeaverTold, pNoRest, pLapse, pReached, pNoOrphan, pReturner}
)

// outages holds, per dependency, the last outage: when it began and until when it (with
// its recovery) excuses what depends on it.
type outages struct {
	from, until map[dep]time.Time
	// deleteFailed is when the last delete of an API user met a fault, by id.
	deleteFailed map[string]time.Time
	// judged and excused add up, per promise, the simulated time it was judged and the
	// time an outage excused it.
	judged, excused map[string]time.Duration
	last            time.Time // when the accounts were last brought up to date
}

func newOutages() *outages {
	return &outages{from: map[dep]time.Time{}, until: map[dep]time.Time{}, deleteFailed: map[string]time.Time{},
		judged: map[string]time.Duration{}, excused: map[string]time.Duration{}}
}

// down records an outage of d from from until until; what depends on it is excused until
// until and d's recovery after it.
func (o *outages) down(d dep, from, until time.Time) {
	end := until.Add(recovery(d))
	if !from.Before(o.until[d]) {
		o.from[d] = from
	}
	if end.After(o.until[d]) {
		o.until[d] = end
	}
}

// up ends an outage of d early, at now.
func (o *outages) up(d dep, now time.Time) {
	if end := now.Add(recovery(d)); end.Before(o.until[d]) {
		o.until[d] = end
	}
}

// excusedUntil is until when an outage of p's dependencies excuses p.
func (o *outages) excusedUntil(p timed) time.Time {
	var t time.Time
	for _, n := range depNames {
		if p.deps&n.d != 0 && o.until[n.d].After(t) {
			t = o.until[n.d]
		}
	}
	return t
}

// due is when p, about something that became due at t, must hold: its bound after t, or,
// if an outage of what it depends on overlaps that, its bound after the outage's excuse
// ends. apiUser names the API user a per-user promise is about ("" for none).
func (o *outages) due(p timed, t time.Time, apiUser string) time.Time {
	d := t.Add(p.bound)
	for _, n := range depNames {
		if p.deps&n.d == 0 {
			continue
		}
		// An outage that began before the promise was due, and lasted (with its recovery)
		// until the moment it is about, or later.
		if !o.from[n.d].After(d) && !o.until[n.d].Before(t) {
			d = later(d, o.until[n.d].Add(p.bound))
		}
	}
	if p.perUser && apiUser != "" {
		if f, ok := o.deleteFailed[apiUser]; ok {
			// The delete failed: it is retried after a backoff of at most RevokeRetryMax.
			d = later(d, f.Add(commands.RevokeRetryMax+p.bound))
		}
	}
	return d
}

// account adds the simulated time since the last call to each promise's judged or excused
// time. A per-user promise counts as excused while a live API user's delete is excused.
func (o *outages) account(now time.Time, live func(apiUser string) bool) {
	if o.last.IsZero() {
		o.last = now
		return
	}
	span := now.Sub(o.last)
	if span <= 0 {
		return
	}
	o.forgetDeletes(now)
	for _, p := range timedAll {
		until := o.excusedUntil(p)
		if p.perUser {
			for id, f := range o.deleteFailed {
				if live(id) {
					until = later(until, f.Add(commands.RevokeRetryMax))
				}
			}
		}
		ex := min(max(until.Sub(o.last), 0), span)
		o.excused[p.inv] += ex
		o.judged[p.inv] += span - ex
	}
	o.last = now
}

// forgetDeletes drops delete failures older than any excuse they can give.
func (o *outages) forgetDeletes(now time.Time) {
	for id, f := range o.deleteFailed {
		if now.Sub(f) > commands.RevokeRetryMax+time.Hour {
			delete(o.deleteFailed, id)
		}
	}
}

// JudgedShare is the share of simulated time each time-bound promise was judged, by name.
type JudgedShare map[string]float64

// String lists the shares, one promise per line.
func (s JudgedShare) String() string {
	var b strings.Builder
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\n  %-40s %5.1f %%", n, 100*s[n])
	}
	return b.String()
}
