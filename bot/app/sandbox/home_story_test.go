package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
)

func TestHomeStoryHTTP(t *testing.T)       { testHomeStory(t, false) }
func TestHomeStorySocketMode(t *testing.T) { testHomeStory(t, true) }

// testHomeStory is a token's life as the App Home shows it: alice asks → her Home tab shows
// the request → ann's Home tab shows it with Approve → ann approves there and reads so at
// its top → alice's Home tab now shows the token with Extend and Revoke → ann's second,
// stale click changes nothing and says why → alice revokes on her Home tab → it shows the
// token ended.
func testHomeStory(t *testing.T, socket bool) {
	s := startSandbox(t, sandboxOptions{socketMode: socket})
	ctx := testContext(t)

	answer, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 for=8h reason="read the boiler room sensors"`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's confirmation", answer, "R1 is waiting for approval")

	if err := s.openHome(ctx, sandboxAlice); err != nil {
		t.Fatal(err)
	}
	alice, err := s.home(ctx, sandboxAlice, "*R1* · role *viewer* for 8h", "[Cancel]")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's Home tab", alice, "My tokens", "You hold no tokens.", "My requests", "[Request a token]")
	mustNotContain(t, "alice's Home tab", alice, "Waiting for you")

	if err := s.openHome(ctx, sandboxAnn); err != nil {
		t.Fatal(err)
	}
	ann, err := s.home(ctx, sandboxAnn, "Waiting for you (1)", "[Approve] [Deny]")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "ann's Home tab", ann, "*R1* · @alice asks for *viewer* for 8h", "Boiler room (SN-1001)", "read the boiler room sensors")

	approve, err := s.homeClick(ctx, sandboxAnn, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	ann, err = s.home(ctx, sandboxAnn, ":white_check_mark: You approved R1; @alice can now reveal the token")
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, "ann's Home tab after approving", ann, "[Approve]")

	// Alice reveals her token from her Home tab, refreshed once the few seconds between two
	// refreshes of one person's tab have passed (her request's news refreshed it last).
	s.clock.Advance(5 * time.Second)
	if _, err := s.home(ctx, sandboxAlice, "[Reveal token]"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.homeClick(ctx, sandboxAlice, "cakegate_reveal"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.tokenView(ctx, sandboxAlice, 1); err != nil {
		t.Fatal(err)
	}
	users := s.datacake.APIUsers(sandboxWorkspace)
	if len(users) != 1 {
		t.Fatalf("got %d API users, want 1", len(users))
	}
	token := users[0].Token

	// Alice did nothing: the outbox's news about R1 refreshed her Home tab.
	alice, err = s.home(ctx, sandboxAlice, "*R1* · role *viewer* · Boiler room (SN-1001)", "[Extend] [Revoke]")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's Home tab with the token", alice, "Expires 2026-11-27 17:0", "No request of yours is waiting")

	// The same Approve again, from a screen that still showed the old tab: a new click, so
	// Slack sends it with a new trigger id (the very same signed request again would be
	// dropped as a replay).
	approve.TriggerID = s.slack.NewTriggerID(sandboxAnn)
	if err := s.homeDeliver(ctx, approve); err != nil {
		t.Fatal(err)
	}
	if _, err := s.home(ctx, sandboxAnn, ":warning: R1 is already approved by @ann and active until"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 1 {
		t.Fatalf("%d API users after the stale click, want 1", n)
	}

	if _, err := s.homeClick(ctx, sandboxAlice, "cakegate_revoke"); err != nil {
		t.Fatal(err)
	}
	alice, err = s.home(ctx, sandboxAlice, ":no_entry: R1 is revoked; its token no longer works.", "Recently ended", "*R1* · viewer · 1 device · revoked")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's Home tab after revoking", alice, "You hold no tokens.")
	mustNotContain(t, "alice's Home tab after revoking", alice, "[Revoke]", "[Extend]")
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users after revoke, want 0", n)
	}
	if _, err := s.approvalMessage(ctx, "R1", func(text string) bool { return strings.Contains(text, "Revoked") }); err != nil {
		t.Fatal(err)
	}

	// Slack took every Home tab, and none ever held the token.
	publishes := s.slack.CallsTo("views.publish")
	if len(publishes) == 0 {
		t.Fatal("no views.publish calls")
	}
	for _, c := range publishes {
		if !c.OK() {
			t.Errorf("views.publish for %s refused: %s %v", c.Params["user_id"], c.Error, c.Problems)
		}
		mustNotContain(t, "Home tab", string(c.Blocks), token)
	}
}

// openHome has user open their App Home, as Slack reports it: a signed app_home_opened
// event over HTTP, or an Events API envelope over Socket Mode.
func (s *sandbox) openHome(ctx context.Context, user string) error {
	inner := fmt.Appendf(nil, `{"type":"app_home_opened","user":%q,"channel":%q,"tab":"home","event_ts":"1795770000.000100"}`, user, slacktest.DMChannel(user))
	if s.socket {
		id, err := s.slack.SendEvent(ctx, inner)
		if err != nil {
			return err
		}
		if _, err := s.slack.WaitAck(ctx, id); err != nil {
			return fmt.Errorf("app_home_opened not acknowledged: %w", err)
		}
		return nil
	}
	body, err := s.slack.EventCallback(inner)
	if err != nil {
		return err
	}
	return s.post(ctx, "/slack/events", body)
}

// home waits until user's Home tab shows every one of want, and renders it.
func (s *sandbox) home(ctx context.Context, user string, want ...string) (string, error) {
	var text string
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		v, ok := srv.HomeTab(user)
		if !ok {
			return false
		}
		text = srv.RenderView(v)
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return text, fmt.Errorf("%s's Home tab does not show %q: %w\nit shows:\n%s", user, want, err, text)
	}
	return text, nil
}

// homeClick has user press the button with actionID on their Home tab as it is now, and
// returns the click, so a test can send it again as a stale one.
func (s *sandbox) homeClick(ctx context.Context, user, actionID string) (slack.InteractionCallback, error) {
	v, ok := s.slack.HomeTab(user)
	if !ok {
		return slack.InteractionCallback{}, fmt.Errorf("%s has no Home tab", user)
	}
	cb, err := s.slack.ViewButtonClick(user, v.ID, actionID)
	if err != nil {
		return cb, err
	}
	return cb, s.homeDeliver(ctx, cb)
}

// homeDeliver delivers a click on a Home tab. A click answers nothing at once: what it
// did shows on the tab.
func (s *sandbox) homeDeliver(ctx context.Context, cb slack.InteractionCallback) error {
	answer, err := s.interact(ctx, cb)
	if err != nil {
		return err
	}
	if a := strings.TrimSpace(string(answer)); a != "" && a != "null" {
		return fmt.Errorf("a Home tab click was answered %q, want a plain acknowledgement", a)
	}
	return nil
}
