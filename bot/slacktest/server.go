package slacktest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Identities the fake uses. They look like real Slack ids so that code which
// checks prefixes (U…, T…, xoxb-…) behaves as in production.
const (
	DefaultBotToken  = "xoxb-cakegate-test"
	DefaultAppToken  = "xapp-1-cakegate-test"
	DefaultTeamID    = "T0CAKEGATE"
	DefaultAppID     = "A0CAKEGATE"
	DefaultBotUserID = "U0CAKEBOT"
	DefaultBotID     = "B0CAKEBOT"
)

// Server is the fake Slack. Create it with New, then Start it; it is safe for
// concurrent use by the code under test and the test itself.
type Server struct {
	cfg config
	hs  *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever anything is recorded
	closed  bool
	seq     int   // source of unique ids
	lastTS  int64 // last message ts handed out, in microseconds

	calls      []Call
	faults     map[string][]fault
	chanErrs   map[string]string
	blockedDMs map[string]string
	users      map[string]User
	groups     map[string][]string
	channels   map[string]string // id -> name of registered channels
	opened     map[string]bool   // DM channels opened with conversations.open
	messages   map[string][]*Message
	ephemerals map[string][]Ephemeral
	views      map[string]*View
	modals     map[string][]string // user -> stack of modal view ids, root first
	homes      map[string]string   // user -> Home tab view id
	triggers   map[string]*trigger
	responses  map[string]*responseURL
	// dropResponses is how many posts to response URLs are still to be dropped.
	dropResponses int
	// acceptHidden makes views.update of a view no longer shown succeed
	// (AcceptUpdatesOfHiddenViews).
	acceptHidden bool

	sock socketState
}

// Option configures a Server in New.
type Option func(*config)

type config struct {
	botToken, appToken string
	teamID, appID      string
	botUserID, botID   string
	now                func() time.Time
	pingInterval       time.Duration
	triggerTTL         time.Duration
	responseURLTTL     time.Duration
	responseURLUses    int
}

// WithClock makes the fake read time from now: message timestamps, call times and
// the expiry of trigger ids (3 s) and response URLs (30 min) follow it, so tests
// that inject a clock into the bot can drive both with one clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithPingInterval sets how often the fake sends WebSocket pings on Socket Mode
// connections. slack-go reconnects when it sees no ping for its own interval
// (30 s by default), so the default of 10 s keeps idle connections alive.
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// New returns a fake that is not yet listening; call Start.
func New(opts ...Option) *Server {
	cfg := config{
		botToken:        DefaultBotToken,
		appToken:        DefaultAppToken,
		teamID:          DefaultTeamID,
		appID:           DefaultAppID,
		botUserID:       DefaultBotUserID,
		botID:           DefaultBotID,
		now:             time.Now,
		pingInterval:    10 * time.Second,
		triggerTTL:      3 * time.Second,
		responseURLTTL:  30 * time.Minute,
		responseURLUses: 5,
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:        cfg,
		changed:    make(chan struct{}),
		faults:     map[string][]fault{},
		chanErrs:   map[string]string{},
		blockedDMs: map[string]string{},
		users:      map[string]User{},
		groups:     map[string][]string{},
		channels:   map[string]string{},
		opened:     map[string]bool{},
		messages:   map[string][]*Message{},
		ephemerals: map[string][]Ephemeral{},
		views:      map[string]*View{},
		modals:     map[string][]string{},
		homes:      map[string]string{},
		triggers:   map[string]*trigger{},
		responses:  map[string]*responseURL{},
	}
	s.sock.init()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/link/", s.serveSocket)
	// httptest listens on 127.0.0.1 with a free port, which is all the fake needs.
	s.hs = httptest.NewUnstartedServer(mux)
	return s
}

// Start makes the fake listen on 127.0.0.1. It must be called once, before URL.
func (s *Server) Start() { s.hs.Start() }

// Close drops Socket Mode connections, stops the server and wakes every waiter.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.notifyLocked()
	s.mu.Unlock()
	s.closeSockets()
	s.hs.Close()
}

// URL is the Web API base, with the trailing slash slack.OptionAPIURL needs:
// http://127.0.0.1:port/api/.
func (s *Server) URL() string { return s.hs.URL + "/api/" }

// now reads the configured clock.
func (s *Server) now() time.Time { return s.cfg.now() }

// nextIDLocked returns a number not handed out before.
func (s *Server) nextIDLocked() int {
	s.seq++
	return s.seq
}

// notifyLocked wakes everything waiting on Notify.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
