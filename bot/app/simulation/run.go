package simulation

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// Result is what one simulated history did.
type Result struct {
	Seed    uint64
	Days    int
	Steps   int
	Actions int
	Crashes int
	// Known lists the known bugs' invariants broken (and skipped), with the first detail.
	Known map[string]string
	// Failure is the broken promise, nil if every promise held.
	Failure *Failure
	// Trace is the last events of the run.
	Trace string
	// Counts says how often each action and each fault happened ("action request-text",
	// "fault datacake-5xx", "fault crash", …).
	Counts map[string]int
	// Judged is the simulated time each time-bound promise was judged, and Excused the time
	// an outage of what it depends on excused it, by promise.
	Judged, Excused map[string]time.Duration
}

// Failure is a broken promise with what is needed to replay it.
type Failure struct {
	Seed      uint64
	Days      int
	Step      int
	At        time.Time
	Invariant string
	Detail    string
	Trace     string
	KnownBugs bool
	Bugs      []string
	Replicas  int
}

func (f *Failure) Error() string {
	flags := fmt.Sprintf("-sim.seed=%d -sim.days=%d", f.Seed, f.Days)
	if f.KnownBugs {
		flags += " -sim.knownbugs"
	}
	for _, b := range f.Bugs {
		flags += " -sim.bug=" + b
	}
	if f.Replicas > 1 {
		flags += fmt.Sprintf(" -sim.replicas=%d", f.Replicas)
	}
	return fmt.Sprintf("seed %d broke %s at step %d (%s): %s\n\nlast events:\n%s\n\nreplay: go test ./bot/app/simulation -run 'TestSimulation$' -v %s",
		f.Seed, f.Invariant, f.Step, f.At.Format(time.DateTime), f.Detail, f.Trace, flags)
}

// meanActionGap is the average virtual time between two actions.
const meanActionGap = 30 * time.Minute

// quietSpell is how long the world runs without traffic or faults before the final check:
// longer than any backoff (an hour) plus a reconcile period.
const quietSpell = 2 * time.Hour

// Run simulates days of one seed's history and checks every promise after every step.
func Run(seed uint64, days int, opts Options) (*Result, error) {
	w, err := newWorld(seed, opts)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	res := &Result{Seed: seed, Days: days}
	if w.enabled(triggerDjangoDelete) && w.rng.IntN(2) == 0 {
		w.dc.AnswerMissingDeletes(datacaketest.MissingDoesNotExist)
		w.trace.add(w.clock.Now(), "fault", triggerDjangoDelete, "for the whole run")
	}
	end := start.Add(time.Duration(days) * 24 * time.Hour)
	nextAction := w.clock.Now().Add(w.actionGap())
	nextCheck := w.clock.Now()
	fail := func(v *violation) {
		res.Failure = &Failure{Seed: seed, Days: days, Step: w.trace.step, At: w.clock.Now(), Invariant: v.invariant, Detail: v.detail, Trace: w.trace.last(50), KnownBugs: opts.KnownBugs, Bugs: opts.Bugs, Replicas: opts.Replicas}
	}
	for w.clock.Now().Before(end) {
		w.faults.out.account(w.clock.Now(), w.model.live)
		w.trace.step++
		res.Steps++
		before := w.changes()
		now := w.clock.Now()
		if w.channelGone && !now.Before(w.channelBackAt) {
			w.restoreChannel()
		}
		w.comeBack()
		w.acceptDMs()
		job, jobAt := w.nextJobDue()
		switch {
		case len(w.followUps) > 0 && !w.followUps[0].at.After(jobAt) && w.followUps[0].at.Before(nextAction):
			f := w.followUps[0]
			w.followUps = w.followUps[1:]
			w.clock.Set(later(now, f.at))
			res.Actions++
			w.counts["follow-up "+f.name]++
			if w.app == nil {
				w.mustStart()
			}
			f.do()
		case nextAction.Before(jobAt) || nextAction.Equal(jobAt):
			w.clock.Set(later(now, nextAction))
			a := w.pickAction()
			res.Actions++
			w.counts["action "+a.name]++
			if w.app == nil {
				w.mustStart()
			}
			a.do(w)
			nextAction = w.clock.Now().Add(w.actionGap())
		case nextCheck.Before(jobAt):
			w.clock.Set(later(now, nextCheck))
		default:
			w.clock.Set(later(now, jobAt))
			w.runJob(context.Background(), job)
			if w.app != nil {
				w.scheduled(job)
			}
		}
		if w.crashed != "" {
			res.Crashes++
			w.trace.add(w.clock.Now(), "operator", "restart after crash", "crashed "+w.crashed)
			w.restart()
		}
		if len(w.unacked) > 0 && w.app != nil && w.crashed == "" {
			w.redeliverEvents()
		}
		if w.changes() != before || !w.clock.Now().Before(nextCheck) {
			v, next := w.check(false)
			if v != nil {
				fail(v)
				return res, nil
			}
			nextCheck = next
		}
	}
	// Quiet: no traffic, no faults; jobs run until every retry is due and done.
	w.faults.out.account(w.clock.Now(), w.model.live)
	res.Judged, res.Excused = w.faults.out.judged, w.faults.out.excused
	w.quiesce()
	quietEnd := w.clock.Now().Add(quietSpell)
	for w.clock.Now().Before(quietEnd) {
		w.trace.step++
		res.Steps++
		job, jobAt := w.nextJobDue()
		w.clock.Set(later(w.clock.Now(), jobAt))
		w.runJob(context.Background(), job)
		if w.app != nil {
			w.scheduled(job)
		}
	}
	if v, _ := w.check(true); v != nil {
		fail(v)
	}
	res.Known = w.model.knownHit
	res.Trace = w.trace.last(traceKeep)
	res.Counts = w.counts
	return res, nil
}

// quiesce stops every fault and disturbance from here on.
func (w *World) quiesce() {
	w.faults.off = true
	w.crashCountdown = 0
	w.diskFullUntil = time.Time{}
	for _, u := range w.dmsBlocked {
		w.slack.UnblockDMs(u)
	}
	w.dmsBlocked = nil
	// Leavers come back too: a message to a deactivated account can never be delivered.
	for user, l := range w.model.left {
		w.model.left[user] = leaver{at: l.at, back: w.clock.Now(), told: l.told}
	}
	w.comeBack()
	w.slack.SetChannelError(approvalsChannel, "")
	w.channelGone = false
	if w.app == nil {
		w.mustStart()
	}
	w.trace.add(w.clock.Now(), "weather", "quiet", "no traffic, no faults")
}

// changes is a number that moves whenever cakegate or the world may have changed.
func (w *World) changes() int {
	return w.writes + w.netChanges + w.starts*1_000_000 + len(w.model.portal) + len(w.model.order)
}

// actionGap is the exponentially distributed time to the next action.
func (w *World) actionGap() time.Duration {
	gap := time.Duration(-math.Log(1-w.rng.Float64()) * float64(meanActionGap))
	return max(gap, time.Second).Truncate(time.Second)
}

func (w *World) nextJobDue() (string, time.Time) {
	var name string
	var at time.Time
	for _, j := range w.jobs {
		if t := w.nextJob[j.Name]; name == "" || t.Before(at) {
			name, at = j.Name, t
		}
	}
	if t, ok := w.alarmDue(); ok && t.Before(at) {
		name, at = alarmJob, t
	}
	return name, at
}

// scheduled notes when job runs next: its next tick, or its retry if that comes first. A
// job's next run is kept as one time, so the retry is used up either way, as the scheduler
// drops a job's waiting retry when a tick of it runs. The alarm's time is asked anew before
// every step.
func (w *World) scheduled(job string) {
	if job != alarmJob {
		next := nextRun(w.specOf(job), w.clock.Now(), w.app.Location())
		if retry, ok := w.retryAt[job]; ok {
			next = earlier(next, retry)
			delete(w.retryAt, job)
		}
		w.nextJob[job] = next
	}
}

func (w *World) specOf(job string) string {
	for _, j := range w.jobs {
		if j.Name == job {
			return j.Spec
		}
	}
	return "@every 1m"
}

// nextRun is when the scheduler runs spec next after now, as robfig/cron computes it.
func nextRun(spec string, now time.Time, loc *time.Location) time.Time {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		panic(fmt.Sprintf("simulation: schedule %q: %v", spec, err))
	}
	return s.Next(now.In(loc)).UTC()
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// restart stops cakegate (if it runs) and starts it again on the same file: a crash and
// its restart, or a redeploy.
func (w *World) restart() {
	if w.replicated() && w.crashed != "" {
		// A replica died: its session ends, another leads if it led, and its supervisor
		// starts a new one; the others never stopped.
		for _, n := range slices.Clone(w.nodes) {
			if n.crashed != "" {
				w.kill(n)
			}
		}
		w.faults.out.down(depReplica, w.clock.Now(), w.clock.Now())
	} else {
		w.stopApp()
	}
	w.crashed = ""
	w.crashCountdown = 0
	w.mustStart()
}

func (w *World) mustStart() {
	if err := w.startApp(); err != nil {
		if strings.Contains(err.Error(), "simulation:") {
			// The start itself crashed or met a full disk: try again, as a supervisor would.
			w.crashed = ""
			w.crashCountdown = 0
			w.diskFullUntil = time.Time{}
			if err = w.startApp(); err == nil {
				return
			}
		}
		panic(fmt.Sprintf("simulation: cakegate does not start: %v", err))
	}
}
