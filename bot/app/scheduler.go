package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cakegate/cakegate/commands"
)

// scheduler runs the periodic sweeps on robfig/cron: each job runs once at start, never
// overlaps itself (SkipIfStillRunning), and survives a panic (Recover). Every job is a sweep
// over an index ("everything due by now"), so a missed tick or a restart loses nothing.
type scheduler struct {
	log  *slog.Logger
	cron *cron.Cron
	jobs []job
	// initial tracks the runs at start, which cron's own Stop does not wait for.
	initial sync.WaitGroup
}

// job is one scheduled sweep.
type job struct {
	name string
	spec string // robfig/cron spec: "@every 1m", "*/5 * * * *", …
	run  func(ctx context.Context) error
}

// newScheduler checks every job's spec and prepares them to run in loc.
func newScheduler(loc *time.Location, log *slog.Logger, jobs []job) (*scheduler, error) {
	for _, j := range jobs {
		if _, err := cron.ParseStandard(j.spec); err != nil {
			return nil, fmt.Errorf("schedule %s: %q is not a cron spec: %w", j.name, j.spec, err)
		}
	}
	logger := cronLogger{log}
	return &scheduler{
		log:  log,
		jobs: jobs,
		cron: cron.New(
			cron.WithLocation(loc),
			cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
		),
	}, nil
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
		{"pending", sch.Pending, sweep("pending timeout sweep", a.svc.TimeOutPending)},
		{"reconcile", sch.Reconcile, func(ctx context.Context) error {
			res, err := a.svc.Reconcile(ctx)
			if res != (commands.ReconcileResult{}) {
				a.log.Info("reconcile", "result", fmt.Sprintf("%+v", res))
			}
			a.bot.Kick()
			return err
		}},
		// The outbox worker runs beside the scheduler (App.Run); this only wakes it, so
		// notifications whose retry time has come are sent.
		{"outbox", sch.Outbox, func(context.Context) error {
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
		run := func() {
			jctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			if err := j.run(jctx); err != nil && ctx.Err() == nil {
				s.log.Error("scheduled job failed", "job", j.name, "err", err)
			}
		}
		id, _ := s.cron.AddFunc(j.spec, run)
		s.initial.Go(s.cron.Entry(id).WrappedJob.Run)
	}
	s.cron.Start()
}

// stop stops the clock and waits for running jobs.
func (s *scheduler) stop() {
	<-s.cron.Stop().Done()
	s.initial.Wait()
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
