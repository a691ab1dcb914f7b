package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
)

// App is cakegate wired together: the store, the Datacake client, the use cases, the bot
// and the scheduler.
type App struct {
	cfg    Config
	log    *slog.Logger
	policy *commands.Policy
	store  Store
	svc    *commands.Service
	bot    *bot.Bot
	sched  *scheduler
	// alarm sweeps at the moment a grant ends or a reminder is due; the scheduler's
	// expire and remind jobs are the safety net.
	alarm *commands.Alarm
	// metrics is served at /metrics; the app's wrappers around the store, Datacake and
	// Slack feed it.
	metrics *metrics
	// datacake and slackAPI are the clients the background health checks use: the same
	// ones the use cases use, so they check what serving depends on.
	datacake *datacake.Client
	slackAPI *slack.Client
	// health is what /readyz reports beyond the open database; see health.go.
	health       *health
	healthTiming healthTiming
	// leader, on etcd, elects the one replica that runs the alarm and the sweeps; nil on
	// bbolt, where this process is the only one.
	leader *leadership
	// leaveCluster ends the session JoinCluster began (the simulation's replicas).
	leaveCluster func()
	// caughtUp is closed once the sweeps' runs at start are done (CaughtUp).
	caughtUp     chan struct{}
	caughtUpOnce sync.Once
}

// Options are what tests and the demo change about an app; the zero value is production.
type Options struct {
	// Clock replaces the system clock (the sandbox's manual clock).
	Clock commands.Clock
	// DatacakeSleep replaces the client's backoff waits (tests).
	DatacakeSleep func(context.Context, time.Duration) error
	// StoreOptions are passed to state.Open (benchmarks turn fsync off).
	StoreOptions []state.Option
	// NoAlarm leaves expiry and reminders to the scheduler alone, for tests that drive
	// every sweep themselves.
	NoAlarm bool
	// HealthInterval, HealthRetryMin and HealthRetryMax replace how often the background
	// checks of Slack and Datacake run (see health.go); zero keeps the default.
	HealthInterval, HealthRetryMin, HealthRetryMax time.Duration
	// Transport carries every call cakegate makes (Slack's Web API, response_url,
	// Datacake); nil is http.DefaultTransport. The simulation injects faults and crash
	// points there.
	Transport http.RoundTripper
	// Go runs the work a Slack request acknowledged (bot.Config.Go); nil is a goroutine.
	Go func(work func())
	// Rand is the bot's source of jitter (bot.Config.Rand); nil is the global one.
	Rand *rand.Rand
	// OneGoroutine makes the Datacake calls of one request in turn, on the caller's
	// goroutine (serial number look-ups otherwise run a few at a time): with Go running
	// work inline, one driver goroutine then makes every call, in an order a seed decides.
	OneGoroutine bool
	// WrapOutbox, if set, stands between the bot and its outbox: the simulation watches
	// what the bot takes from it and how it settles each notification.
	WrapOutbox func(bot.Outbox) bot.Outbox
	// EtcdOptions are passed to etcdstore.Connect, as StoreOptions to state.Open.
	EtcdOptions []etcdstore.Option
}

// New opens the store and builds everything from cfg. Close releases it.
func New(cfg Config, log *slog.Logger, opts Options) (*App, error) {
	policy, err := loadPolicy(cfg.PolicyPath)
	if err != nil {
		return nil, err
	}
	dcHTTP := datacakeHTTPClient(opts.Transport)
	if cfg.DatacakeTokenFile != "" {
		file := newTokenFile(cfg.DatacakeTokenFile, cfg.DatacakeToken, log.With("component", "datacake"))
		dcHTTP = &http.Client{Transport: tokenTransport{next: cmp.Or[http.RoundTripper](opts.Transport, http.DefaultTransport), file: file}}
	}
	dc, err := datacake.New(datacake.Options{
		HTTPClient:     dcHTTP,
		URL:            cfg.DatacakeAPIURL,
		Token:          cfg.DatacakeToken,
		MaxRPS:         cfg.DatacakeMaxRPS,
		MaxConcurrency: cfg.DatacakeMaxConc,
		Logger:         log.With("component", "datacake"),
		Sleep:          opts.DatacakeSleep,
	})
	if err != nil {
		return nil, fmt.Errorf("datacake client: %w", err)
	}
	store, err := openStore(context.Background(), cfg, opts)
	if err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = commands.SystemClock{}
	}
	// Before anything is written: an event written without the chain's key breaks it.
	if err := startAuditChain(context.Background(), store, cfg.AuditKey, clock.Now(), log.With("component", "audit")); err != nil {
		store.Close()
		return nil, err
	}

	installation, installedAt, err := store.Installation()
	if err != nil {
		store.Close()
		return nil, err
	}
	m := newMetrics(installation)
	if opts.Transport != nil {
		m.transport = opts.Transport
	}
	m.reg.MustRegister(newStateCollector(store, clock))

	slackOpts := []slack.Option{slack.OptionHTTPClient(m.slackHTTPClient(cfg.SlackAPIURL))}
	if cfg.SlackAPIURL != "" {
		slackOpts = append(slackOpts, slack.OptionAPIURL(cfg.SlackAPIURL))
	}
	if cfg.SlackAppToken != "" {
		slackOpts = append(slackOpts, slack.OptionAppLevelToken(cfg.SlackAppToken))
	}
	api := slack.New(cfg.SlackBotToken, slackOpts...)

	adapter := instrumentedDatacake{next: datacakeAdapter{client: dc, oneByOne: opts.OneGoroutine}, m: m}
	svc := &commands.Service{
		Policy:   policy,
		Store:    instrumentedStore{Store: store, m: m, log: changeLog{log.With("component", "requests")}},
		Datacake: adapter,
		// The request form searches devices as people type: cache the list briefly.
		Devices:  &commands.CachedDevices{Directory: adapter, TTL: time.Minute, Clock: clock},
		Journal:  loggedJournal{Journal: store, log: changeLog{log.With("component", "requests")}},
		AuditLog: store,
		Reviews:  store,
		Clock:    clock,
		Log:      log.With("component", "commands"),

		Installation: installation,
		InstalledAt:  installedAt,
	}
	var outbox bot.Outbox = store
	var leader *leadership
	if es, ok := store.(*etcdstore.Store); ok {
		leader = newLeadership(es.Client(), es.Prefix(), svc.InstanceID(), cfg.EtcdSessionTTL, log.With("component", "leader"))
		outbox = claimingOutbox{Store: store, claimer: es, leader: leader}
		svc.Runs = leader
		svc.Fingerprints = es
		svc.Turns = es
	}
	svc.Memos = store
	if opts.WrapOutbox != nil {
		outbox = opts.WrapOutbox(outbox)
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cakegate_leader",
		Help: "1 while this replica runs the sweeps and the expiry alarm (always with bbolt; with etcd, while it is the elected leader), else 0.",
	}, func() float64 {
		if leader == nil || leader.leading.Load() {
			return 1
		}
		return 0
	}))
	b := bot.New(bot.Config{
		Service:       svc,
		Slack:         api,
		SigningSecret: cfg.SlackSigningSecret,
		Requests:      store,
		Outbox:        outbox,
		Replays:       store,
		Log:           log.With("component", "bot"),
		DatacakeURL:   cfg.DatacakeAPIURL,
		CommandName:   cfg.Command,
		HTTPClient:    m.responseURLClient(),
		OnPanic:       m.countPanic,
		Identity:      bot.Identity{TeamID: cfg.SlackTeamID, AppID: cfg.SlackAppID, EnterpriseID: cfg.SlackEnterpriseID},
		Go:            opts.Go,
		Rand:          opts.Rand,
	})
	svc.Groups = b
	svc.Rosters = b
	svc.Directory = b
	if leader != nil {
		leader.onSession = b.Kick
	}

	log.Info("database", "store", describeStore(cfg), "installation", installation, "created", installedAt)
	a := &App{
		cfg: cfg, log: log, policy: policy, store: store, svc: svc, bot: b, metrics: m,
		datacake: dc, slackAPI: api, health: newHealth(),
		healthTiming: healthTiming{
			Interval: cmp.Or(opts.HealthInterval, defaultHealthTiming.Interval),
			RetryMin: cmp.Or(opts.HealthRetryMin, defaultHealthTiming.RetryMin),
			RetryMax: cmp.Or(opts.HealthRetryMax, defaultHealthTiming.RetryMax),
		},
		leader: leader, caughtUp: make(chan struct{}),
	}
	m.reg.MustRegister(newAlertCollector(a.health, store, clock))
	m.reg.MustRegister(newAccessCollector(svc, clock))
	if !opts.NoAlarm {
		a.alarm = &commands.Alarm{Service: svc, Sweep: a.sweepDue}
		svc.Waker = a.alarm
	}
	a.sched, err = a.newScheduler(appJobs(a))
	if err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

// datacakeHTTPClient is the Datacake client's HTTP client: nil (the client's default)
// unless a transport was given.
func datacakeHTTPClient(t http.RoundTripper) *http.Client {
	if t == nil {
		return nil
	}
	return &http.Client{Transport: t}
}

// Handler serves the Slack endpoints, the health checks and the metrics.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics.handler(a.log.With("component", "metrics")))
	mux.Handle("/", a.bot.Handler(a.readiness))
	return mux
}

// readiness is /readyz: the database open (asked now, it costs nothing) and writable, the
// Slack token accepted and Datacake reachable, as the last background check found them.
// The error names each dependency that is not ready, one per line.
func (a *App) readiness() error {
	if a.bot.ShuttingDown() {
		return errors.New("shutting down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := a.store.Check(ctx); err != nil {
		return errors.New("database: not open")
	}
	if a.leader != nil {
		// On etcd, a replica without its session can neither lead nor claim notifications.
		if err := a.leader.ready(); err != nil {
			return err
		}
	}
	return a.health.err()
}

// Run serves until ctx ends, then shuts down in order: stop taking requests, finish the
// work already acknowledged, stop the scheduler, close the database.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	errc := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	})
	if a.cfg.SlackAppToken != "" {
		wg.Go(func() {
			if err := a.bot.RunSocketMode(ctx); err != nil {
				// Socket Mode stops only when Slack refuses the app-level token.
				errc <- &dependencyError{Refused: true, msg: err.Error(), err: err}
			}
		})
	}
	a.log.Info("cakegate is running in "+a.cfg.modeDescription(), "addr", ln.Addr().String())
	if file, ok := a.store.(*state.Store); ok {
		// bbolt lets one process hold the file: backups and audit reads go through the
		// running bot. etcd serves every reader itself.
		stopControl, cerr := state.ServeControl(ctx, state.ControlPath(a.cfg.DBPath), file, a.log)
		if cerr != nil {
			// Backups then need the bot stopped; everything else works.
			a.log.Warn("no control socket", "err", cerr)
			stopControl = func() {}
		}
		defer stopControl()
	}
	wg.Go(func() {
		if err := a.watchDependencies(ctx); err != nil {
			errc <- err
		}
	})
	wg.Go(func() { a.bot.RunOutbox(ctx) })
	everywhere := a.sched
	sessionCtx, endSession := context.WithCancel(context.WithoutCancel(ctx))
	defer endSession()
	if a.leader == nil {
		if a.alarm != nil {
			wg.Go(func() { a.alarm.Run(ctx) })
		}
		go a.markCaughtUp(a.sched)
	} else {
		// Every replica delivers the outbox (each notification claimed by one); the
		// rest runs on the leader only.
		everywhere, _ = a.newScheduler(replicaJobs(a.sched.jobs))
		// The session outlives the serving until the work already acknowledged is done:
		// its end tells the leader to take over what this replica was provisioning.
		wg.Go(func() { a.leader.run(sessionCtx, a.lead) })
		// Every replica follows the live tokens' fingerprints, so a token revealed on
		// another is recognised in a message here at once.
		wg.Go(func() { a.svc.FollowLeaks(ctx) })
	}
	everywhere.start(ctx)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	a.log.Info("shutting down")
	shutdownCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
	defer done()
	if serr := srv.Shutdown(shutdownCtx); serr != nil {
		a.log.Warn("http shutdown", "err", serr)
	}
	if berr := a.bot.Shutdown(shutdownCtx); berr != nil {
		a.log.Warn("unfinished work at shutdown", "err", berr)
	}
	endSession()
	everywhere.stop()
	wg.Wait()
	return err
}

// lead runs, while this replica is the leader, what must happen once: the alarm and every
// sweep but the outbox's, until ctx ends (the session was lost, or shutdown).
func (a *App) lead(ctx context.Context) {
	sched, err := a.newScheduler(leaderJobs(a.sched.jobs))
	if err != nil {
		a.log.Error("leader: scheduler", "err", err) // the specs were checked at start
		return
	}
	var wg sync.WaitGroup
	if a.alarm != nil {
		wg.Go(func() { a.alarm.Run(ctx) })
		if es, ok := a.store.(*etcdstore.Store); ok {
			// Grants are recorded on every replica; the alarm here must hear of them all.
			wg.Go(func() {
				for range es.ExpiryChanges(ctx) {
					a.alarm.Wake()
				}
			})
		}
	}
	// What a replica whose session ends was provisioning is taken over at once (takeover.go).
	wg.Go(func() { a.takeOverEndedSessions(ctx) })
	sched.start(ctx)
	go a.markCaughtUp(sched)
	<-ctx.Done()
	sched.stop()
	wg.Wait()
}

// markCaughtUp closes the app's caughtUp once s has run every job at start.
func (a *App) markCaughtUp(s *scheduler) {
	<-s.caughtUp
	a.caughtUpOnce.Do(func() { close(a.caughtUp) })
}

// Close closes the database.
func (a *App) Close() error { return a.store.Close() }

// Config is the configuration the app was built from.
func (a *App) Config() Config { return a.cfg }

// Store is the app's database.
func (a *App) Store() Store { return a.store }

// Service is the app's use cases.
func (a *App) Service() *commands.Service { return a.svc }

// Bot is the app's Slack side.
func (a *App) Bot() *bot.Bot { return a.bot }

// SweepDue runs once what the alarm runs when something is due (sweepDue). With
// Options.NoAlarm a driver of its own calls it at the time Service.NextDue names: the
// simulation fires it on its virtual clock, as the alarm would.
func (a *App) SweepDue(ctx context.Context) { a.sweepDue(ctx) }

// sweepDue is what the alarm runs when something is due: the expiry and reminder sweeps and
// the scheduled starts, then delivery of what they queued.
func (a *App) sweepDue(ctx context.Context) {
	if res, err := a.svc.ExpireDue(ctx); err != nil || res.Done+res.Failed > 0 {
		a.log.Info("expiry on time", "done", res.Done, "failed", res.Failed, "err", err)
	}
	if res, err := a.svc.RemindDue(ctx); err != nil || res.Done+res.Failed > 0 {
		a.log.Info("reminders on time", "done", res.Done, "failed", res.Failed, "err", err)
	}
	if res, err := a.svc.TellStartsDue(ctx); err != nil || res.Done+res.Failed > 0 {
		a.log.Info("scheduled starts on time", "done", res.Done, "failed", res.Failed, "err", err)
	}
	a.bot.Kick()
}
