package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
)

// health is what /readyz reports beyond the database: Slack's and Datacake's answers at the
// last background check. Probes read it and never call out, so a load balancer probing every
// second costs Slack and Datacake nothing.
type health struct {
	mu sync.Mutex
	// problems maps a dependency ("slack", "datacake", "database") to why it is not ready;
	// a dependency not yet checked counts as not ready.
	problems map[string]string
	// ready is closed the first time every dependency answered well.
	ready     chan struct{}
	readyOnce sync.Once
}

// The dependencies, in the order /readyz names them.
var healthDependencies = []string{"database", "slack", "datacake"}

func newHealth() *health {
	h := &health{problems: map[string]string{}, ready: make(chan struct{})}
	for _, d := range healthDependencies {
		h.problems[d] = "not checked yet"
	}
	return h
}

// set records the outcome of one dependency's check, and reports whether it changed.
func (h *health) set(dep string, err error) (changed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, had := h.problems[dep]
	if err == nil {
		delete(h.problems, dep)
		if len(h.problems) == 0 {
			h.readyOnce.Do(func() { close(h.ready) })
		}
		return had
	}
	h.problems[dep] = err.Error()
	return !had || old != err.Error()
}

// err names every dependency that is not ready and why, one per line, or nil.
func (h *health) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var lines []string
	for _, d := range healthDependencies {
		if p, ok := h.problems[d]; ok {
			lines = append(lines, d+": "+p)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return errors.New(strings.Join(lines, "\n"))
}

// healthTiming is how often the background checks run: every Interval while all is well,
// and after a failure again after RetryMin, doubling up to RetryMax.
type healthTiming struct {
	Interval, RetryMin, RetryMax time.Duration
}

var defaultHealthTiming = healthTiming{Interval: time.Minute, RetryMin: time.Second, RetryMax: time.Minute}

// watchDependencies checks the database, Slack and Datacake at once and then in the
// background until ctx ends, recording each outcome for /readyz and logging each change.
// A refused Slack token is fatal at any time (nothing works without it, and Socket Mode
// stops on it too); a refused Datacake token is fatal at start, and later only makes
// cakegate not ready, because a rotated DATACAKE_TOKEN_FILE may be on its way. The fatal
// error is returned; a network failure is retried with backoff.
func (a *App) watchDependencies(ctx context.Context) error {
	t := a.healthTiming
	wait := t.RetryMin
	started := false
	for {
		failed := false
		for _, dep := range healthDependencies {
			err := a.checkDependency(ctx, dep)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil && isRefusal(err) && (dep == "slack" || !started) {
				a.health.set(dep, err)
				if !started {
					return &startupError{err}
				}
				return err
			}
			if err != nil {
				failed = true
			}
			if a.health.set(dep, err) {
				if err != nil {
					a.log.Warn("not ready", "dependency", dep, "err", err)
				} else if started {
					a.log.Info("ready again", "dependency", dep)
				}
			}
		}
		if !failed && !started {
			started = true
			a.log.Info("ready: the database, the Slack token and the Datacake token all check out")
		}
		next := t.Interval
		if failed {
			next, wait = wait, min(2*wait, t.RetryMax)
		} else {
			wait = t.RetryMin
		}
		timer := time.NewTimer(next)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// startupError is a refusal found before cakegate was ever ready: serve says it cannot
// start, rather than that it stopped.
type startupError struct{ err error }

func (e *startupError) Error() string { return e.err.Error() }
func (e *startupError) Unwrap() error { return e.err }

// checkDependency checks one dependency, bounded in time.
func (a *App) checkDependency(ctx context.Context, dep string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch dep {
	case "database":
		if err := a.store.CheckWritable(ctx); err != nil {
			return errors.New("cannot write to " + a.cfg.DBPath + ": " + err.Error())
		}
		return nil
	case "slack":
		auth, err := checkSlackAuth(ctx, a.slackAPI, a.cfg.SlackAPIURL)
		if err != nil {
			return err
		}
		return a.learnIdentity(ctx, auth)
	case "datacake":
		_, err := checkDatacakeToken(ctx, a.datacake, a.cfg)
		return err
	}
	return nil
}

// Ready is closed once every dependency has checked out: the database is writable, Slack
// accepts the bot token and Datacake the Datacake token.
func (a *App) Ready() <-chan struct{} { return a.health.ready }

// Readiness is what /readyz answers: nil when ready, else an error naming each dependency
// that is not, one line each.
func (a *App) Readiness() error { return a.readiness() }

// learnIdentity has the bot learn, once, which team and app it serves (so requests for
// others are refused), when Slack first answers. A pinned team, app or enterprise that
// differs is a refusal no retry mends; anything else is retried like an outage.
func (a *App) learnIdentity(ctx context.Context, auth *slack.AuthTestResponse) error {
	if _, known := a.bot.Identity(); known {
		return nil
	}
	_, err := a.bot.AdoptIdentity(ctx, auth)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bot.ErrIdentityMismatch):
		return &dependencyError{Refused: true, err: err, msg: err.Error() + ": check SLACK_TEAM_ID, SLACK_APP_ID and SLACK_ENTERPRISE_ID"}
	}
	return &dependencyError{err: err, msg: "Slack did not say which team and app the bot is (" + err.Error() + "); requests are not yet checked against them"}
}
