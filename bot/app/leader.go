package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// DefaultSessionTTL is the etcd session's lease TTL: how long a replica that dies keeps
// its leadership and its outbox claims before another replica takes over. A new leader is
// elected within it (README → Several replicas).
const DefaultSessionTTL = 5 * time.Second

// leadership elects one replica, among every cakegate on the same etcd prefix, to run the
// work that must happen once: the expiry alarm and the scheduler's sweeps (expiry,
// reminders, pending timeouts, escalation, reconcile). Every replica keeps an etcd session
// (a lease kept alive while the process lives), campaigns with it, and claims outbox
// notifications under its lease. A replica that loses its session stops leading at once
// and campaigns again with a new one.
type leadership struct {
	client *clientv3.Client
	prefix string // the election's key prefix
	runs   string // where each replica's run is registered under its lease
	name   string // this run (commands.Service.InstanceID): leader value, claims' owner
	host   string
	ttl    time.Duration
	log    *slog.Logger

	// onSession is called once a session is live: outbox delivery, which needs one for
	// its claims, can start at once rather than at its next tick.
	onSession func()

	mu      sync.Mutex
	session *concurrency.Session
	leading atomic.Bool
	// elected is closed when this replica first becomes leader; tests wait on it.
	elected     chan struct{}
	electedOnce sync.Once
}

func newLeadership(client *clientv3.Client, storePrefix, run string, ttl time.Duration, log *slog.Logger) *leadership {
	host, _ := os.Hostname()
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &leadership{
		client:  client,
		prefix:  storePrefix + "leader",
		runs:    storePrefix + "runs/",
		name:    run,
		host:    fmt.Sprintf("%s (pid %d)", host, os.Getpid()),
		ttl:     ttl,
		log:     log,
		elected: make(chan struct{}),
	}
}

// run keeps a session and campaigns until ctx ends, running lead while this replica is
// the leader. lead must return soon after its context ends: that context ends when the
// session is lost, before the lease can have expired on the servers and another replica
// have been elected, give or take the keep-alive's last round trip.
func (l *leadership) run(ctx context.Context, lead func(ctx context.Context)) {
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
		}
		l.term(ctx, lead)
		retry.Reset(time.Second) // a lost etcd is not retried in a tight loop
	}
}

// term is one session: campaign, lead until the session or ctx ends, then let go.
func (l *leadership) term(ctx context.Context, lead func(ctx context.Context)) {
	s, stopSession, err := l.join(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("no etcd session; not leading, not delivering the outbox", "err", err)
		}
		return
	}
	defer stopSession()
	if l.onSession != nil {
		l.onSession()
	}
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.Done():
			l.log.Warn("etcd session lost; no longer leading")
			cancel()
		case <-tctx.Done():
		}
	}()
	e := concurrency.NewElection(s, l.prefix)
	if err := e.Campaign(tctx, l.name); err != nil {
		return
	}
	l.log.Info("leading: running expiry, reminders, timeouts, escalation and reconcile here", "run", l.name, "host", l.host)
	l.leading.Store(true)
	l.electedOnce.Do(func() { close(l.elected) })
	lead(tctx)
	l.leading.Store(false)
	if ctx.Err() != nil {
		l.log.Info("stepping down", "run", l.name)
	}
}

// join starts a session: a lease kept alive until stop, with this replica's run registered
// under it, so the leader's reconcile can tell the provisioning this replica does from
// what a dead one left (commands.Runs). The lease is granted under ctx, so shutdown does
// not wait on an unreachable etcd; the session lives on its own context, so that at
// shutdown stop can still revoke the lease, which hands leadership and claims to another
// replica at once instead of after the TTL.
func (l *leadership) join(ctx context.Context) (*concurrency.Session, func(), error) {
	lease, err := l.client.Grant(ctx, int64(l.ttl/time.Second))
	if err != nil {
		return nil, nil, err
	}
	sctx, stopSession := context.WithCancel(context.WithoutCancel(ctx))
	s, err := concurrency.NewSession(l.client, concurrency.WithLease(lease.ID), concurrency.WithTTL(int(l.ttl/time.Second)), concurrency.WithContext(sctx))
	if err != nil {
		stopSession()
		return nil, nil, err
	}
	if _, err := l.client.Put(ctx, l.runs+l.name, l.host, clientv3.WithLease(lease.ID)); err != nil {
		s.Close()
		stopSession()
		return nil, nil, fmt.Errorf("register this replica's run: %w", err)
	}
	l.setSession(s)
	return s, func() {
		l.setSession(nil)
		s.Close()
		stopSession()
	}, nil
}

func (l *leadership) setSession(s *concurrency.Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.session = s
}

// lease is the live session's lease, or false when there is none.
func (l *leadership) lease() (clientv3.LeaseID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.session == nil {
		return 0, false
	}
	select {
	case <-l.session.Done():
		return 0, false
	default:
	}
	return l.session.Lease(), true
}

// Alive implements commands.Runs: whether run's replica still holds its session. When
// etcd does not answer it says true, so only the request's own lease decides.
func (l *leadership) Alive(ctx context.Context, run string) bool {
	resp, err := l.client.Get(ctx, l.runs+run, clientv3.WithCountOnly())
	return err != nil || resp.Count > 0
}

// ready reports whether the replica has a live etcd session, for /readyz.
func (l *leadership) ready() error {
	if _, ok := l.lease(); !ok {
		return fmt.Errorf("no etcd session")
	}
	return nil
}

// Leading reports whether this replica runs the sweeps now: always on bbolt, where the
// process is the only one; on etcd, while it is the elected leader.
func (a *App) Leading() bool { return a.leader == nil || a.leader.leading.Load() }

// Elected is closed once this replica has led for the first time (at once on bbolt).
// Tests wait on it rather than poll.
func (a *App) Elected() <-chan struct{} {
	if a.leader == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return a.leader.elected
}
