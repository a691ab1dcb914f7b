package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cakegate/cakegate/commands"
)

// scheduler runs the periodic sweeps on robfig/cron: each job runs once at start, never
// overlaps itself, and survives a panic.
type scheduler struct {
	a    *app
	cron *cron.Cron
	jobs []job
	// initial tracks the runs at start, which cron's own Stop does not wait for.
	initial sync.WaitGroup
}

type job struct {
	name string
	spec string
	run  func(ctx context.Context) error
}

func newScheduler(a *app) (*scheduler, error) {
	s := &scheduler{a: a}
	logger := cronLogger{a}
	s.cron = cron.New(
		cron.WithLocation(a.policy.Location),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	sch := a.policy.Schedule
	s.jobs = []job{
		{"expire", sch.Expire, func(ctx context.Context) error {
			res, err := a.svc.ExpireDue(ctx)
			logSweep(a, "expiry sweep", res)
			a.bot.Kick()
			return err
		}},
		// The outbox worker runs beside the scheduler (app.run); this only wakes it, so
		// notifications whose retry time has come are sent.
		{"remind", sch.Remind, func(ctx context.Context) error {
			res, err := a.svc.RemindDue(ctx)
			logSweep(a, "reminder sweep", res)
			a.bot.Kick()
			return err
		}},
		{"pending", sch.Pending, func(ctx context.Context) error {
			res, err := a.svc.TimeOutPending(ctx)
			logSweep(a, "pending timeout sweep", res)
			a.bot.Kick()
			return err
		}},
		{"reconcile", sch.Reconcile, func(ctx context.Context) error {
			res, err := a.svc.Reconcile(ctx)
			if res != (commands.ReconcileResult{}) {
				a.log.Info("reconcile", "result", fmt.Sprintf("%+v", res))
			}
			a.bot.Kick()
			return err
		}},
		// The outbox worker runs beside the scheduler (app.run); this only wakes it, so
		// notifications whose retry time has come are sent.
		{"outbox", sch.Outbox, func(context.Context) error {
			a.bot.Kick()
			return nil
		}},
	}
	for _, j := range s.jobs {
		if _, err := cron.ParseStandard(j.spec); err != nil {
			return nil, fmt.Errorf("schedule %s: %q is not a cron spec: %w", j.name, j.spec, err)
		}
	}
	return s, nil
}

// start adds the jobs, runs each once, and starts the clock.
func (s *scheduler) start(ctx context.Context) {
	for _, j := range s.jobs {
		run := func() {
			jctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			if err := j.run(jctx); err != nil && ctx.Err() == nil {
				s.a.log.Error("scheduled job failed", "job", j.name, "err", err)
			}
		}
		id, _ := s.cron.AddFunc(j.spec, run)
		// Run once at start, through the same chain, so a restart catches up at once.
		s.initial.Go(s.cron.Entry(id).WrappedJob.Run)
	}
	s.cron.Start()
}

// stop stops the clock and waits for running jobs.
func (s *scheduler) stop() {
	<-s.cron.Stop().Done()
	s.initial.Wait()
}

func logSweep(a *app, what string, res commands.SweepResult) {
	if res.Done+res.Failed > 0 {
		a.log.Info(what, "done", res.Done, "failed", res.Failed)
	}
}

type cronLogger struct{ a *app }

func (l cronLogger) Info(msg string, kv ...any) {}
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.a.log.Error("scheduler: "+msg, append(kv, "err", err)...)
}
