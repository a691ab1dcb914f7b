package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
)

// TestReadyzFailsOnceTheDatabaseIsClosed: readiness follows the database, so a load
// balancer stops sending requests to a cakegate that is shutting down.
func TestReadyzFailsOnceTheDatabaseIsClosed(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	a := s.app
	ready := func() int {
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	if code := ready(); code != http.StatusOK {
		t.Fatalf("readyz while running: %d", code)
	}
	if err := s.stopApp(); err != nil { // closes a's database
		t.Fatal(err)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed: %d, want 503", code)
	}
}

// TestRequesterWhoCannotBeMessaged: when Slack refuses to DM the requester, news about their
// request reaches them in the approvals channel instead of waiting in the outbox for days.
func TestRequesterWhoCannotBeMessaged(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="x"`); err != nil {
		t.Fatal(err)
	}
	s.slack.BlockDMs(sandboxAlice, "user_disabled")
	if _, err := s.slash(ctx, sandboxAnn, "deny R1 not today"); err != nil {
		t.Fatal(err)
	}
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, m := range srv.Messages(sandboxChannel) {
			if strings.Contains(m.Text, "<@"+sandboxAlice+">: ") && strings.Contains(m.Text, "denied your request R1") {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("the requester was not told in the approvals channel: %v", err)
	}
}
