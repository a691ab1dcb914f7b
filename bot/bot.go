// Package bot is cakegate's Slack adapter: it receives slash commands, button clicks and
// events over HTTP or Socket Mode, acknowledges them at once, runs the use cases of package
// commands, and delivers what they queue to Slack.
package bot

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// Requests reads stored requests, so notifications are rendered from the current state.
type Requests interface {
	Get(ctx context.Context, id commands.RequestID) (*commands.Request, error)
}

// Outbox is the queue of notifications the use cases write with each state change.
type Outbox interface {
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]commands.Notification, error)
	CompleteNotification(ctx context.Context, id uint64) error
	RetryNotification(ctx context.Context, id uint64, at time.Time, lastErr string) error
}

// Config is what a Bot is built from.
type Config struct {
	Service *commands.Service
	Slack   *slack.Client
	// SigningSecret verifies HTTP requests from Slack. Socket Mode does not need it.
	SigningSecret string
	Requests      Requests
	Outbox        Outbox
	// Replays is the store's record of deliveries taken (replay.go), shared by every
	// replica and kept across restarts; nil: this process remembers them alone, and forgets
	// them when it stops.
	Replays commands.Memos
	// CommandName is the slash command as installed, for usage texts. Default "/cakegate".
	CommandName string
	Log         *slog.Logger
	// WorkTimeout bounds the work after an acknowledgement. Default 2 minutes.
	WorkTimeout time.Duration
	// MaxWorkers bounds how many acknowledged commands are worked on at once. Default 64.
	MaxWorkers int
	// DatacakeURL is the GraphQL endpoint the token window tells requesters to use; "" for
	// Datacake's public one.
	DatacakeURL string
	// HTTPClient posts to response_url. Default http.DefaultClient with a timeout.
	HTTPClient *http.Client
	// OnPanic is told where a panic was recovered (PanicHTTP, PanicSocket, …), for a
	// metric; nil counts nothing. The panic itself is logged with its stack.
	OnPanic func(where string)
	// Identity pins the team, app and enterprise cakegate serves; "" learns each from
	// Slack (LearnIdentity), and a pin that does not match what Slack says is an error.
	Identity Identity
	// Go runs acknowledged work. Nil starts a goroutine, as production wants: the
	// acknowledgement must not wait for the work, and the work lets a burst's
	// acknowledgements go first (ack_first.go). The simulation runs it inline, so one
	// driver goroutine decides the order of everything.
	Go func(work func())
	// Rand spreads outbox retries (jitter). Nil uses the global source; the simulation
	// passes a seeded one, so a seed replays the same retry times.
	Rand *rand.Rand
}

// Bot is cakegate's Slack adapter. It also implements commands.Groups (user group
// membership). The token reaches its requester only in the modal their Reveal click opened.
type Bot struct {
	svc      *commands.Service
	slack    *slack.Client
	secret   string
	requests Requests
	outbox   Outbox
	name     string
	log      *slog.Logger
	timeout  time.Duration
	http     *http.Client
	// datacakeURL is where requesters use their tokens (Config.DatacakeURL).
	datacakeURL string
	onPanic     func(where string)
	// pin is Config.Identity; identity is what LearnIdentity learnt (identity.go).
	pin      Identity
	identity identityState
	goFn     func(func())
	rand     *rand.Rand
	// ackFirst holds work back while deliveries from Slack keep arriving; nil (work run
	// by Config.Go) holds nothing.
	ackFirst *ackFirst

	// work tracks acknowledged requests still being worked on, so shutdown can wait.
	work    sync.WaitGroup
	workers chan struct{}
	// closed is set when the bot stops taking new work; mu orders it with work.Add.
	mu     sync.Mutex
	closed bool

	kick      chan struct{}
	deliverMu sync.Mutex
	// pausedUntil holds outbox delivery to a conversation back after Slack answered 429
	// for it (keys as outboxTarget names them); guarded by deliverMu.
	pausedUntil map[string]time.Time

	helpOnce sync.Once
	helpMsg  message

	groups groupCache
	events eventDedupe
	// replays remembers deliveries already taken (a signature, an envelope id, a slash
	// command's trigger id) for longer than Slack's 5-minute signature window, so a
	// replayed or repeated delivery is acknowledged and dropped; see replay.go.
	replays       eventDedupe
	sharedReplays commands.Memos
	// disabledAt is when a user_disabled answer last ended each user's access (disabledAnswer).
	disabledMu sync.Mutex
	disabledAt map[string]time.Time
	// home remembers who opened their Home tab and what it says; see home_state.go.
	home homeState
	// reveals has the clicks on Reveal token of one request take turns; see reveal_turns.go.
	reveals revealTurns
	// reviewSent remembers what each review message last said; see review_sent.go.
	reviewSent reviewSent
}

// New builds a Bot.
func New(cfg Config) *Bot {
	b := &Bot{
		svc:           cfg.Service,
		slack:         cfg.Slack,
		secret:        cfg.SigningSecret,
		requests:      cfg.Requests,
		outbox:        cfg.Outbox,
		sharedReplays: cfg.Replays,
		name:          cfg.CommandName,
		log:           cfg.Log,
		timeout:       cfg.WorkTimeout,
		http:          cfg.HTTPClient,
		datacakeURL:   cfg.DatacakeURL,
		onPanic:       cfg.OnPanic,
		pin:           cfg.Identity,
		kick:          make(chan struct{}, 1),
		goFn:          cfg.Go,
		rand:          cfg.Rand,
	}
	if b.goFn == nil {
		b.ackFirst = newAckFirst()
		b.goFn = func(work func()) { go work() }
	}
	if b.name == "" {
		b.name = "/cakegate"
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.timeout == 0 {
		b.timeout = 2 * time.Minute
	}
	if b.http == nil {
		b.http = defaultHTTPClient()
	}
	n := cfg.MaxWorkers
	if n <= 0 {
		n = 64
	}
	b.workers = make(chan struct{}, n)
	b.groups.ttl = 5 * time.Minute
	b.events.ttl = 15 * time.Minute
	b.replays.ttl = replayWindow
	return b
}

// now is the service's clock, so tests and the demo control time everywhere.
func (b *Bot) now() time.Time {
	if b.svc.Clock == nil {
		return time.Now()
	}
	return b.svc.Clock.Now()
}

// async runs fn after the acknowledgement, bounded by MaxWorkers and WorkTimeout, detached
// from the request that triggered it (Slack has its answer already). It reports false if
// the bot is shutting down and the work was not started.
func (b *Bot) async(fn func(ctx context.Context)) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.work.Add(1)
	b.mu.Unlock()
	b.goFn(func() {
		defer b.work.Done()
		b.ackFirst.wait()
		b.workers <- struct{}{}
		defer func() { <-b.workers }()
		ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
		defer cancel()
		defer b.recovered(PanicWork)
		fn(ctx)
		b.Kick()
	})
	return true
}

// ShuttingDown reports whether Shutdown has begun: the bot takes no new work.
func (b *Bot) ShuttingDown() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Shutdown stops taking new work and waits for acknowledged work to finish, or ctx to end.
func (b *Bot) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.work.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
