package datacaketest

import (
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Path is where the fake serves GraphQL, as Datacake does.
const Path = "/graphql/"

// Server is a fake Datacake. Its methods are safe for concurrent use.
type Server struct {
	closing chan struct{} // closed by Close, to end injected latency early

	mu             sync.Mutex
	workspaces     map[string]*Workspace
	workspaceOrder []string
	devices        map[string]*device
	deviceOrder    []string
	apiUsers       []*apiUser
	deletedUsers   []APIUser             // every API user deleted, oldest first; see DeletedAPIUsers
	principals     map[string]*principal // by token
	now            func() time.Time
	random         io.Reader // ids and tokens; nil: crypto/rand (SetRandom)
	calls          []Call
	faults         faults
	// partialAPIUsers is how many API user lists are still to be answered partially.
	partialAPIUsers int
	inFlight        int
	maxInFlight     int
	http            *httptest.Server
	closed          bool
	hold            holdGate
}

// New returns a fake with no state that is not yet listening; see Start, or use it as an
// http.Handler directly.
func New() *Server {
	loadSchema() // fail at construction, not on the first request, if the schema is broken
	return &Server{
		closing:    make(chan struct{}),
		workspaces: map[string]*Workspace{},
		devices:    map[string]*device{},
		principals: map[string]*principal{},
		now:        time.Now,
	}
}

// NewServer returns a started fake that tb closes at the end of the test.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := New()
	if err := s.Start(); err != nil {
		tb.Fatalf("datacaketest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start listens on a free port of 127.0.0.1 (never any other address) and serves.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil || s.closed {
		return errors.New("datacaketest: Start called twice")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.http = httptest.NewUnstartedServer(s)
	s.http.Listener.Close()
	s.http.Listener = l
	s.http.Start()
	return nil
}

// URL returns the GraphQL endpoint, e.g. "http://127.0.0.1:41234/graphql/", or "" before
// Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http == nil {
		return ""
	}
	return s.http.URL + Path
}

// Close stops the server, ending injected latency early. It may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	srv := s.http
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}
