package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/state"
)

// App is cakegate wired together: the store, the Datacake client, the use cases, the bot
// and the scheduler.
type App struct {
	cfg    Config
	log    *slog.Logger
	policy *commands.Policy
	store  *state.Store
	svc    *commands.Service
	bot    *bot.Bot
	sched  *scheduler
	// metrics is served at /metrics; the app's wrappers around the store, Datacake and
	// Slack feed it.
	metrics *metrics
}

// Options are what tests and the demo change about an app; the zero value is production.
type Options struct {
	// Clock replaces the system clock (the sandbox's manual clock).
	Clock commands.Clock
	// DatacakeSleep replaces the client's backoff waits (tests).
	DatacakeSleep func(context.Context, time.Duration) error
	// StoreOptions are passed to state.Open (benchmarks turn fsync off).
	StoreOptions []state.Option
	// Transport carries every call cakegate makes (Slack's Web API, response_url,
	// Datacake); nil is http.DefaultTransport. The simulation injects faults and crash
	// points there.
	Transport http.RoundTripper
	// Go runs the work a Slack request acknowledged (bot.Config.Go); nil is a goroutine.
	Go func(work func())
	// Rand is the bot's source of jitter (bot.Config.Rand); nil is the global one.
	Rand *rand.Rand
}

// New opens the store and builds everything from cfg. Close releases it.
func New(cfg Config, log *slog.Logger, opts Options) (*App, error) {
	policy, err := commands.LoadPolicy(cfg.PolicyPath)
	if err != nil {
		return nil, err
	}
	dc, err := datacake.New(datacake.Options{
		URL:            cfg.DatacakeAPIURL,
		Token:          cfg.DatacakeToken,
		MaxRPS:         cfg.DatacakeMaxRPS,
		MaxConcurrency: cfg.DatacakeMaxConc,
		Logger:         log.With("component", "datacake"),
		Sleep:          opts.DatacakeSleep,
		HTTPClient:     datacakeHTTPClient(opts.Transport),
	})
	if err != nil {
		return nil, fmt.Errorf("datacake client: %w", err)
	}
	store, err := state.Open(cfg.DBPath, opts.StoreOptions...)
	if err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = commands.SystemClock{}
	}

	m := newMetrics()
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

	adapter := instrumentedDatacake{next: datacakeAdapter{client: dc}, m: m}
	svc := &commands.Service{
		Policy:   policy,
		Store:    instrumentedStore{Store: store, m: m},
		Datacake: adapter,
		// The request form searches devices as people type: cache the list briefly.
		Devices:  &commands.CachedDevices{Directory: adapter, TTL: time.Minute, Clock: clock},
		Journal:  store,
		AuditLog: store,
		Clock:    clock,
		Log:      log.With("component", "commands"),
	}
	b := bot.New(bot.Config{
		Service:       svc,
		Slack:         api,
		SigningSecret: cfg.SlackSigningSecret,
		Requests:      store,
		Outbox:        store,
		Log:           log.With("component", "bot"),
		DatacakeURL:   cfg.DatacakeAPIURL,
		HTTPClient:    m.responseURLClient(),
		Go:            opts.Go,
		Rand:          opts.Rand,
	})
	svc.Notifier = b
	svc.Groups = b

	a := &App{cfg: cfg, log: log, policy: policy, store: store, svc: svc, bot: b, metrics: m}
	a.sched, err = newScheduler(policy.Location, log.With("component", "scheduler"), appJobs(a))
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
	mux.Handle("/", a.bot.Handler(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := a.store.Check(ctx); err != nil {
			return errors.New("database not open")
		}
		if a.bot.ShuttingDown() {
			return errors.New("shutting down")
		}
		return nil
	}))
	return mux
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

	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	})
	if a.cfg.SlackAppToken != "" {
		wg.Go(func() {
			if err := a.bot.RunSocketMode(ctx); err != nil {
				errc <- err
			}
		})
		a.log.Info("cakegate is running in Socket Mode", "health", ln.Addr().String())
	} else {
		a.log.Info("cakegate is running in HTTP mode", "addr", ln.Addr().String())
	}
	stopControl, cerr := state.ServeControl(ctx, state.ControlPath(a.cfg.DBPath), a.store, a.log)
	if cerr != nil {
		// Backups then need the bot stopped; everything else works.
		a.log.Warn("no control socket", "err", cerr)
		stopControl = func() {}
	}
	defer stopControl()
	wg.Go(func() { a.bot.RunOutbox(ctx) })
	a.sched.start(ctx)

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
	a.sched.stop()
	wg.Wait()
	return err
}

// Close closes the database.
func (a *App) Close() error { return a.store.Close() }

// Config is the configuration the app was built from.
func (a *App) Config() Config { return a.cfg }

// Store is the app's database.
func (a *App) Store() *state.Store { return a.store }

// Service is the app's use cases.
func (a *App) Service() *commands.Service { return a.svc }

// Bot is the app's Slack side.
func (a *App) Bot() *bot.Bot { return a.bot }
