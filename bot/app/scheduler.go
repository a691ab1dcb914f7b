package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/time/rate"

	"github.com/cakegate/cakegate/commands"
)

// scheduler runs the periodic sweeps on robfig/cron: each job runs once at start, never
// overlaps itself (SkipIfStillRunning), and survives a panic (Recover). Every job is a sweep
// over an index ("everything due by now"), so a missed tick or a restart loses nothing. A
// run that fails is run again JobRetryAfter later, unless its schedule comes first: a job
// has at most one retry waiting, and a run of it (a tick) drops the one waiting, since that
// run's own failure waits for the next.
type scheduler struct {
	log  *slog.Logger
	cron *cron.Cron
	jobs []job
	// initial tracks the runs at start, which cron's own Stop does not wait for, and
	// background those of them CaughtUp does not wait for (startInBackground); stop waits
	// for both.
	initial, background sync.WaitGroup
	// caughtUp is closed once every job's run at start has finished.
	caughtUp chan struct{}
	// onPanic counts a job's recovered panic ("job"); nil counts nothing.
	onPanic func(where string)
	// stopping is set by stop; no retry is started after it (retries count in background).
	mu       sync.Mutex
	stopping bool
	halt     chan struct{} // closed by stop: waiting retries give up
	// waiting holds each job's one waiting retry, by entry: closing it drops the retry.
	// Without the limit every failed run, retries too, added a retry of its own, and a job
	// that kept failing ran more often with every tick.
	waiting map[cron.EntryID]chan struct{}
	// retryAfter is JobRetryAfter; tests shorten it.
	retryAfter time.Duration
}

// JobRetryAfter is how soon a scheduled job whose run failed (the disk full, Datacake or
// Slack not answering) runs again, rather than at its next tick: the reconcile run at a
// restart that met a full disk would otherwise leave a token nobody saw alive for its whole
// 15-minute interval (found by the simulation). A job has one retry waiting at most, and a
// tick of it that runs first drops it. The simulation's driver retries as the scheduler
// does.
const JobRetryAfter = time.Minute

// job is one scheduled sweep.
type job struct {
	name string
	spec string // robfig/cron spec: "@every 1m", "*/5 * * * *", …
	run  func(ctx context.Context) error
}

// startInBackground names the jobs whose run at start goes on beside the others instead of
// holding CaughtUp: a paced sweep that may take minutes (the leavers sweep: user_change
// events do the urgent part, and CaughtUp would otherwise wait for as long as Slack's rate
// limit makes it take). It still runs at start, so a daily run missed while cakegate was
// down is made up at once, not at the next midnight (found by the simulation: a leaver
// whose event was lost kept a waiting request past a day of downtime).
var startInBackground = map[string]bool{"leavers": true}

// newScheduler checks every job's spec and prepares them to run in loc.
func newScheduler(loc *time.Location, log *slog.Logger, jobs []job) (*scheduler, error) {
	for _, j := range jobs {
		if err := checkCronSpec(j.name, j.spec); err != nil {
			return nil, err
		}
	}
	logger := cronLogger{log}
	return &scheduler{
		log:        log,
		jobs:       jobs,
		caughtUp:   make(chan struct{}),
		halt:       make(chan struct{}),
		waiting:    map[cron.EntryID]chan struct{}{},
		retryAfter: JobRetryAfter,
		cron: cron.New(
			cron.WithLocation(loc),
			cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
		),
	}, nil
}

// newScheduler is a scheduler of jobs on the policy's schedule whose recovered panics are
// counted: every scheduler the app runs (the one process's, and on etcd the replicas' and
// the leader's) is made here.
func (a *App) newScheduler(jobs []job) (*scheduler, error) {
	s, err := newScheduler(a.policy.Location, a.log.With("component", "scheduler"), jobs)
	if err != nil {
		return nil, err
	}
	s.onPanic = a.metrics.countPanic
	return s, nil
}

// checkCronSpec says what is wrong with one job's spec, or nil: newScheduler refuses a
// scheduler with a bad one. The policy's specs were checked already as it was loaded
// (loadPolicy, for serve and check-config alike, with the same parser), so for them this is
// a second net.
func checkCronSpec(name, spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("schedule.%s %q is not a cron spec (%v): write it like \"@every 5m\" or \"*/5 * * * *\"", name, spec, err)
	}
	return nil
}

// loadPolicy reads the policy file as serve runs it: its schedule: specs checked by the
// scheduler's cron parser, so a bad one is reported with its line among the rest.
func loadPolicy(path string) (*commands.Policy, error) {
	return commands.LoadPolicy(path, commands.WithScheduleCheck(func(spec string) error {
		_, err := cron.ParseStandard(spec)
		return err
	}))
}

// scheduleEntries lists the policy's schedule as job name and spec, in the order the jobs
// run.
func scheduleEntries(sch commands.Schedule) [][2]string {
	return [][2]string{{"expire", sch.Expire}, {"remind", sch.Remind}, {"pending", sch.Pending}, {"review", sch.Pending}, {"leavers", sch.Leavers}, {"reconcile", sch.Reconcile}, {"outbox", sch.Outbox}}
}

// appJobs are cakegate's sweeps, on the policy's schedule.
func appJobs(a *App) []job {
	sch := a.policy.Schedule
	sweep := func(what string, run func(context.Context) (commands.SweepResult, error)) func(context.Context) error {
		return func(ctx context.Context) error {
			res, err := run(ctx)
			if res.Done+res.Failed > 0 {
				a.log.Info(what, "done", res.Done, "failed", res.Failed)
			}
			a.bot.Kick() // deliver what the sweep queued
			return err
		}
	}
	return []job{
		{"expire", sch.Expire, sweep("expiry sweep", a.svc.ExpireDue)},
		{"remind", sch.Remind, sweep("reminder sweep", a.svc.RemindDue)},
		// Approvals waiting to be revealed lapse on the pending schedule too: both are
		// requests waiting for a person.
		{"pending", sch.Pending, sweep("pending timeout and reveal sweep", a.svc.TimeOutPendingAndLapse)},
		// Access reviews: the scheduled one when due, reminders and escalations, on the
		// pending schedule too: a review waits for people as requests do.
		{"review", sch.Pending, sweep("access review sweep", a.svc.ReviewDue)},
		{"leavers", sch.Leavers, sweep("leavers sweep", func(ctx context.Context) (commands.SweepResult, error) {
			// users.info allows about 100 calls a minute; the burst lets a small team's
			// sweep finish at once.
			pace := rate.NewLimiter(rate.Every(commands.LeaverPace), 10)
			return a.svc.SweepLeavers(ctx, a.bot, func(ctx context.Context) bool { return pace.Wait(ctx) == nil })
		})},
		{"reconcile", sch.Reconcile, func(ctx context.Context) error {
			res, err := a.svc.Reconcile(ctx)
			if res != (commands.ReconcileResult{}) {
				a.log.Info("reconcile", "result", fmt.Sprintf("%+v", res))
			}
			a.bot.Kick()
			// Load (at start) and refresh the fingerprints leak response looks for, so the
			// first message after a start does not wait for the store.
			return errors.Join(err, a.svc.WatchLeaks(ctx))
		}},
		// The outbox worker runs beside the scheduler (App.Run); this only wakes it, so
		// notifications whose retry time has come are sent.
		{outboxJob, sch.Outbox, func(context.Context) error {
			a.bot.Kick()
			return nil
		}},
	}
}

// Sweep runs every scheduled job once, in order, as the scheduler would after the clock moved
// past all of them: the sandbox and the tests drive the app's time through it, so they run the
// very job list production runs. It runs every job even when one fails, and returns their
// errors joined.
func (a *App) Sweep(ctx context.Context) error {
	var errs []error
	for _, j := range a.sched.jobs {
		if err := j.run(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.name, err))
		}
	}
	return errors.Join(errs...)
}

// start adds the jobs, runs each once through the same chain (so a restart catches up at
// once, and a tick during that first run is skipped), and starts the clock.
func (s *scheduler) start(ctx context.Context) {
	for _, j := range s.jobs {
		var id cron.EntryID
		run := func() {
			defer s.recovered(j.name)
			s.dropRetry(id)
			jctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			if err := j.run(jctx); err != nil && ctx.Err() == nil {
				s.log.Error("scheduled job failed; it runs again in a minute", "job", j.name, "err", err)
				s.retryLater(ctx, id)
			}
		}
		id, _ = s.cron.AddFunc(j.spec, run)
		if startInBackground[j.name] {
			s.background.Go(s.cron.Entry(id).WrappedJob.Run)
		} else {
			s.initial.Go(s.cron.Entry(id).WrappedJob.Run)
		}
	}
	go func() {
		s.initial.Wait()
		close(s.caughtUp)
	}()
	s.cron.Start()
}

// CaughtUp is closed once every scheduled job has finished its run at start (Run starts
// them; on etcd, the first time this replica leads): what a restart had to catch up on is
// done. Tests wait on it rather than guess.
func (a *App) CaughtUp() <-chan struct{} { return a.caughtUp }

// outboxJob names the one job every replica runs: it only wakes the local outbox worker.
const outboxJob = "outbox"

// replicaJobs are the jobs every replica runs.
func replicaJobs(jobs []job) []job {
	return slices.DeleteFunc(slices.Clone(jobs), func(j job) bool { return j.name != outboxJob })
}

// leaderJobs are the jobs only the leader runs: every sweep that changes requests.
func leaderJobs(jobs []job) []job {
	return slices.DeleteFunc(slices.Clone(jobs), func(j job) bool { return j.name == outboxJob })
}

// recovered logs a job's panic with its stack and counts it; cron's own Recover stays in
// the chain as a second net, but it counts nothing.
func (s *scheduler) recovered(name string) {
	if p := recover(); p != nil {
		s.log.Error("scheduler: panic in job", "job", name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if s.onPanic != nil {
			s.onPanic("job")
		}
	}
}

// retryLater runs the job of entry id again retryAfter from now, as cron would (never
// beside a run of itself), unless the scheduler stops first or another run of the job
// starts meanwhile (dropRetry). It is called only from a run of the job, which dropped the
// retry waiting before it, and runs of a job never overlap: so one retry waits at most.
func (s *scheduler) retryLater(ctx context.Context, id cron.EntryID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return
	}
	drop := make(chan struct{})
	s.waiting[id] = drop
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		t := time.NewTimer(s.retryAfter)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-s.halt:
			return
		case <-drop:
			return
		case <-t.C:
		}
		// A run that started as the timer fired has dropped this retry already: it
		// still counts as dropped.
		s.mu.Lock()
		mine := s.waiting[id] == drop
		if mine {
			delete(s.waiting, id)
		}
		s.mu.Unlock()
		if mine {
			s.cron.Entry(id).WrappedJob.Run()
		}
	}()
}

// dropRetry drops the retry waiting for the job of entry id, if any: a run of the job is
// starting, and should it fail, it waits for a retry of its own.
func (s *scheduler) dropRetry(id cron.EntryID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if drop, ok := s.waiting[id]; ok {
		close(drop)
		delete(s.waiting, id)
	}
}

// stop stops the clock and waits for running jobs, and for the runs at start still going;
// a retry still waiting gives up.
func (s *scheduler) stop() {
	s.mu.Lock()
	if !s.stopping {
		s.stopping = true
		close(s.halt)
	}
	s.mu.Unlock()
	<-s.cron.Stop().Done()
	s.initial.Wait()
	s.background.Wait()
}

// cronLogger passes robfig/cron's messages (a recovered panic, a skipped run) to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Debug("scheduler: a run was skipped; the previous one is still running")
	}
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("scheduler: "+msg, append(kv, "err", err)...)
}

// Job names one scheduled sweep and when it runs: a robfig/cron spec in the policy's
// timezone (Location).
type Job struct {
	Name string
	Spec string
}

// Jobs lists the scheduled sweeps, in the order Sweep runs them. The simulation fires each
// at its own schedule's times on its virtual clock, as the scheduler would.
func (a *App) Jobs() []Job {
	out := make([]Job, len(a.sched.jobs))
	for i, j := range a.sched.jobs {
		out[i] = Job{Name: j.name, Spec: j.spec}
	}
	return out
}

// RunJob runs the scheduled sweep called name once, now.
func (a *App) RunJob(ctx context.Context, name string) error {
	for _, j := range a.sched.jobs {
		if j.name == name {
			return j.run(ctx)
		}
	}
	return fmt.Errorf("no scheduled job %q", name)
}

// Location is the timezone the schedule runs in (the policy's).
func (a *App) Location() *time.Location { return a.policy.Location }
