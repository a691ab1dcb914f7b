package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// revealDM waits for the direct message that offers user the Reveal token button of
// request id ("R1").
func (s *sandbox) revealDM(ctx context.Context, user, id string) (slacktest.Message, error) {
	return s.dmMessage(ctx, user, func(text string) bool {
		return strings.Contains(text, id) && strings.Contains(text, "[Reveal token]")
	})
}

// reveal has user click Reveal token in the direct message about request id, and waits for
// the modal the click opened to show a token, and for the approval message to show the
// grant active; it returns the token's view.
func (s *sandbox) reveal(ctx context.Context, user, id string) (slacktest.View, error) {
	m, err := s.revealDM(ctx, user, id)
	if err != nil {
		return slacktest.View{}, err
	}
	shown := s.tokenViews(user)
	if _, err := s.sendClick(ctx, user, m.Channel, m.TS, "cakegate_reveal"); err != nil {
		return slacktest.View{}, err
	}
	v, err := s.tokenView(ctx, user, shown+1)
	if err != nil {
		return v, err
	}
	_, err = s.approvalMessage(ctx, id, func(t string) bool { return strings.Contains(t, " · expires ") })
	return v, err
}

// revealR1 has alice reveal the token of R1 and returns the token.
func (s *sandbox) revealR1(t *testing.T, ctx context.Context) string {
	t.Helper()
	if _, err := s.reveal(ctx, sandboxAlice, "R1"); err != nil {
		t.Fatal(err)
	}
	users := s.datacake.APIUsers(sandboxWorkspace)
	if len(users) != 1 || users[0].Token == "" {
		t.Fatalf("got API users %+v, want one with a token", users)
	}
	return users[0].Token
}

// grantViewer has alice ask for the viewer role on SN-1001 for d (id is the request that
// makes), ann approve it, and alice reveal its token, through both fakes; it returns the
// token.
func (s *sandbox) grantViewer(ctx context.Context, id commands.RequestID, d string) (string, error) {
	if _, err := s.slash(ctx, sandboxAlice, "request role=viewer devices=SN-1001 for="+d+` reason="grant"`); err != nil {
		return "", err
	}
	msg, err := s.approvalMessage(ctx, id.String(), nil)
	if err != nil {
		return "", err
	}
	if answer, err := s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_approve"); err != nil || !strings.Contains(answer, "You approved "+id.String()) {
		return "", fmt.Errorf("approve %s: %q %v", id, answer, err)
	}
	return s.revealAs(ctx, sandboxAlice, id)
}

// revealAs has user reveal the token of request id and returns it: for benchmarks, where
// many grants exist.
func (s *sandbox) revealAs(ctx context.Context, user string, id commands.RequestID) (string, error) {
	if _, err := s.reveal(ctx, user, id.String()); err != nil {
		return "", err
	}
	r, err := s.app.Store().Get(ctx, id)
	if err != nil {
		return "", err
	}
	for _, u := range s.datacake.APIUsers(sandboxWorkspace) {
		if r.Grant != nil && u.ID == r.Grant.APIUserID {
			return u.Token, nil
		}
	}
	return "", fmt.Errorf("%s: no API user with a token", id)
}

// tokenViews counts the token modals user has been shown so far.
func (s *sandbox) tokenViews(user string) int {
	n := 0
	for _, c := range s.slack.CallsTo("views.update") {
		if v, ok := s.slack.View(c.Params["view_id"]); ok && v.User == user && c.OK() && strings.Contains(string(c.Blocks), "Copy it now") {
			n++
		}
	}
	return n
}

// tokenView waits until user has seen tokens in n token modals (views.update calls with
// "Copy it now" for a view on their screen), and returns the view of the nth.
func (s *sandbox) tokenView(ctx context.Context, user string, n int) (slacktest.View, error) {
	var found slacktest.View
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		seen := 0
		for _, c := range srv.CallsTo("views.update") {
			if !c.OK() || !strings.Contains(string(c.Blocks), "Copy it now") {
				continue
			}
			v, ok := srv.View(c.Params["view_id"])
			if !ok || v.User != user {
				continue
			}
			if seen++; seen == n {
				found = v
				return true
			}
		}
		return false
	})
	if err != nil {
		return found, fmt.Errorf("token modal #%d for %s: %w", n, user, err)
	}
	return found, nil
}

// tokenOnlyInViewsOf reports every Slack call that carried token anywhere but in a view
// opened for user: the token must never be in a message, an ephemeral answer, a Home tab
// or a modal of anyone else.
func tokenOnlyInViewsOf(srv *slacktest.Server, token, user string) []string {
	var bad []string
	for _, c := range srv.Calls() {
		carried := strings.Contains(string(c.Blocks), token)
		for _, v := range c.Params {
			carried = carried || strings.Contains(v, token)
		}
		if !carried {
			continue
		}
		if c.Method == "views.update" {
			if v, ok := srv.View(c.Params["view_id"]); ok && v.User == user && v.Type == "modal" {
				continue
			}
		}
		bad = append(bad, fmt.Sprintf("%s %v", c.Method, c.Params))
	}
	for _, p := range srv.AllResponseURLPosts() {
		if strings.Contains(string(p.Body), token) {
			bad = append(bad, "response_url answer "+p.Text)
		}
	}
	return bad
}
