package simulation

import "slices"

// knownBug is a bug of today's code that the simulation finds and that is not fixed yet.
// Until its fix lands the CI run keeps its trigger off and skips the invariant only it
// breaks, saying so; Options.KnownBugs (-sim.knownbugs) turns them all on, and
// Options.Bugs (-sim.bug=NAME) one. Once the fix is merged, delete its entry and the CI
// run covers it from then on.
//
// The five bugs of issue 11 the simulation found on the branch (recorded in BENCHMARKS.md
// 12. with their seeds) are fixed on main, and each of their triggers and invariants is on
// in every run.
type knownBug struct {
	name  string
	issue string
	// trigger is the fault that provokes it, off unless KnownBugs.
	trigger string
	// invariants are skipped (reported, not failed) unless KnownBugs: only for a bug that
	// breaks an invariant without a trigger of its own.
	invariants []string
	// found is the proof that the simulation hunts it: with only this bug turned on, seed
	// breaks the invariant (TestSimulationFindsKnownBugs). Once the fix lands that test
	// fails: delete the entry.
	found struct {
		seed      uint64
		invariant string
		// replicas, when 2 or more, is how many replicas the finding run has on etcd.
		replicas int
	}
}

// The triggers: faults that once provoked known bugs, kept by name so a new entry can
// switch one off again.
const (
	triggerDjangoDelete = "datacake-django-missing-delete" // deletes of a missing id answer Django's "matching query does not exist"
	triggerDiskFull     = "disk-full"                      // writes fail for minutes
	triggerForeign      = "foreign-installation"           // another installation's API users; restarts on an empty database
	triggerRoleRemoved  = "role-removed"                   // the policy loses a role between restarts
	// triggerReplayElsewhere sends a replayed signed request to another replica than the
	// first delivery reached: the replay record must be the store's (issue 23, item 2, fixed).
	triggerReplayElsewhere = "replay-to-another-replica"
)

// knownBugs is empty: every bug the simulation has found is fixed. The last entries, two of
// replicas (issue 23: a replica that died while creating a token left the request to the
// leader's next reconcile, seed 8 with three replicas breaking dead-replica-work-taken-over;
// a signed request replayed to another replica acted again, seed 1 breaking replay-dropped),
// and before them five defects of issue 21 ("where features meet", at seeds 1, 3 and 5 of the
// code of their day), were fixed one by one; each fix deleted its entry. A new entry names
// its trigger, or, without one, its invariants and the seed that breaks the first:
// {name, issue, trigger, invariants: []string{inv}, found: {seed, inv, replicas}}.
var knownBugs = []knownBug{}

// enabled reports whether a trigger of a known bug may fire in this run.
func (w *World) enabled(trigger string) bool {
	if w.opts.KnownBugs || slices.Contains(w.opts.Bugs, trigger) {
		return true
	}
	for _, b := range knownBugs {
		if b.trigger == trigger {
			return false
		}
	}
	return true
}

// fails reports whether v fails the run: not when it is a known bug's invariant and known
// bugs are off; then it is noted once, for the report.
func (w *World) fails(v violation) bool {
	if w.opts.KnownBugs {
		return true
	}
	for _, b := range knownBugs {
		if slices.Contains(b.invariants, v.invariant) && !slices.Contains(w.opts.Bugs, v.invariant) {
			if _, seen := w.model.knownHit[v.invariant]; !seen {
				w.model.knownHit[v.invariant] = b.issue + " (" + b.name + "): " + v.detail
			}
			return false
		}
	}
	return true
}
