package datacake_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

const (
	ownerToken    = "owner-secret-token-4711"    // members in ws-1
	observerToken = "observer-secret-token-0815" // member of ws-1 without members
	ws            = "ws-1"
	otherWS       = "ws-2"
)

// fixture is a started fake with two workspaces, three devices and two people's tokens.
type fixture struct {
	*datacaketest.Server
	boiler, pump, lamp datacaketest.Device
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	s := datacaketest.NewServer(t)
	s.AddWorkspace(ws, "Acme", "acme")
	s.AddWorkspace(otherWS, "Other", "other")
	f := &fixture{Server: s}
	f.boiler = s.AddDevice(ws, datacaketest.Device{Name: "Boiler", Serial: "SN-B1", Tags: []string{"heating", "basement"}, Online: true})
	f.pump = s.AddDevice(ws, datacaketest.Device{Name: "Pump", Serial: "SN-P1", Tags: []string{"basement"}})
	f.lamp = s.AddDevice(otherWS, datacaketest.Device{Name: "Lamp", Serial: "SN-L1"})
	s.AddToken(ownerToken, map[string][]string{ws: {"members", "devices"}, otherWS: {}})
	s.AddToken(observerToken, map[string][]string{ws: {}})
	return f
}

// sleeper records the backoff waits the client asks for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newClient returns a client of url with token whose retries do not sleep; edit changes
// the options first.
func newClient(t testing.TB, url, token string, edit func(*datacake.Options)) (*datacake.Client, *sleeper) {
	t.Helper()
	sl := &sleeper{}
	opts := datacake.Options{
		URL: url, Token: token, Sleep: sl.Sleep,
		MaxRPS: 10000, Timeout: 5 * time.Second,
		HTTPClient: &http.Client{Transport: &http.Transport{}}, // no connections shared between tests
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := datacake.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, sl
}
