package app

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// A replica creating a token claims its request (commands: ProvisionedBy, its run) and its
// run is registered under its etcd session's lease (leadership.join). When that session
// ends, because the replica crashed or was cut off, etcd deletes the registration; the
// leader watches for that and at once takes over what the dead run was provisioning:
// the API user nobody saw is deleted and the request goes back to approved, so its Reveal
// button works again on every replica. A leader that dies is replaced within the session
// TTL, and the new one does the same as it starts to lead. The scheduled reconcile stays
// the safety net. On bbolt there is one process: its reconcile at start takes over.

// takeoverRetryMin and takeoverRetryMax bound the wait before a takeover that failed
// (Datacake or etcd not answering) is tried again without a session ending.
const (
	takeoverRetryMin = time.Second
	takeoverRetryMax = time.Minute
)

// takeOverEndedSessions runs while this replica leads, until ctx ends: a takeover pass as
// soon as it watches the sessions (what a dead leader, or a replica that died while nobody
// led, left), then one each time a replica's session ends.
func (a *App) takeOverEndedSessions(ctx context.Context) {
	ended := a.leader.sessionsEnded(ctx)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	wait := takeoverRetryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-ended:
		case <-retry.C:
		}
		if a.TakeOverEndedSessions(ctx) {
			wait = takeoverRetryMin
			retry.Stop()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		retry.Reset(wait)
		wait = min(2*wait, takeoverRetryMax)
	}
}

// TakeOverEndedSessions takes over, once, every provisioning request whose replica's
// session has ended, then has the outbox tell the requesters. It reports whether every
// request could be taken over (false: Datacake or the store failed; try again). The
// leader runs it whenever a session ends; the simulation, which runs no goroutines, calls
// it where that watch would fire.
func (a *App) TakeOverEndedSessions(ctx context.Context) bool {
	res, err := a.svc.TakeOverProvisioning(ctx)
	if err != nil || res.Errors > 0 {
		a.log.Warn("take over the tokens a stopped replica was creating: will try again", "result", res, "err", err)
	}
	if n := res.Reopened + res.Failed + res.Revoked; n > 0 {
		a.log.Info("took over the tokens a stopped replica was creating", "reopened", res.Reopened, "failed", res.Failed, "revoked", res.Revoked)
		a.bot.Kick()
	}
	return err == nil && res.Errors == 0
}

// sessionsEnded signals whenever a replica's session ends (its run's registration is
// deleted: lease expired or revoked), until ctx ends, and once as soon as the watch is set
// up: a takeover pass run then misses no session that ended before it. Signals coalesce.
// A watch that breaks (etcd lost its leader, or compacted past the watch) is set up again,
// with a signal, since a session may have ended unseen meanwhile.
func (l *leadership) sessionsEnded(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		for {
			l.watchRuns(ctx, out)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second): // a lost etcd is not watched in a tight loop
			}
		}
	}()
	return out
}

// watchRuns signals out once the watch on the runs' registrations is set up, then at every
// deletion, until the watch or ctx ends.
func (l *leadership) watchRuns(ctx context.Context, out chan<- struct{}) {
	signal := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	// Watching from the revision read now loses no deletion made after the signal.
	resp, err := l.client.Get(ctx, l.runs, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	watch := l.client.Watch(wctx, l.runs, clientv3.WithPrefix(), clientv3.WithFilterPut(), clientv3.WithRev(resp.Header.Revision+1))
	signal()
	for w := range watch {
		if w.Err() != nil {
			return
		}
		if len(w.Events) > 0 {
			signal()
		}
	}
}
