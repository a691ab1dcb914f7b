package sandbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

func startSandbox(t *testing.T, opts sandboxOptions) *sandbox {
	t.Helper()
	s, err := newSandbox(opts)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s: want %q in:\n%s", what, w, got)
		}
	}
}

func mustNotContain(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			t.Fatalf("%s: did not want %q in:\n%s", what, w, got)
		}
	}
}

func TestStoryHTTP(t *testing.T)       { testStory(t, sandboxOptions{}, readDBFile) }
func TestStorySocketMode(t *testing.T) { testStory(t, sandboxOptions{socketMode: true}, readDBFile) }

// readDBFile is everything the sandbox's bbolt store holds, as bytes.
func readDBFile(t *testing.T, s *sandbox) []byte {
	db, err := os.ReadFile(s.app.Config().DBPath)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// testStory is the whole story of one token: request → approval message → refused clicks →
// two approvals → the Reveal DM without a token → a refused reveal by someone else → the
// reveal: modal first, then the API user in Datacake and the token in the modal → the
// updated message → Re-issue → the token only in views of the requester → revoke.
// stored returns everything the store holds, to search for the tokens.
func testStory(t *testing.T, opts sandboxOptions, stored func(*testing.T, *sandbox) []byte) {
	logs := &apptest.SyncBuffer{}
	opts.log = logs
	s := startSandbox(t, opts)
	ctx := testContext(t)

	answer, err := s.slash(ctx, sandboxAlice, `request role=device-editor devices=SN-1001,tag:field-test for=8h reason="calibrate the cold room sensors"`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's confirmation", answer, "R1 is waiting for approval")

	msg, err := s.approvalMessage(ctx, "R1", nil)
	if err != nil {
		t.Fatal(err)
	}
	text := s.slack.RenderMessage(msg)
	mustContain(t, "approval message", text, "alice", "device-editor", "Boiler room", "Freezer 2", "Loading door", "8h",
		"calibrate the cold room sensors", "[Approve]", "[Deny]")

	// The requester cannot approve her own request, and Carol is no approver: both are told
	// privately and nothing changes.
	answer, err = s.click(ctx, sandboxAlice, msg.Channel, msg.TS, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "self-approval", answer, "cannot approve your own request R1")
	answer, err = s.click(ctx, sandboxCarol, msg.Channel, msg.TS, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "non-approver", answer, "only the approvers of role device-editor")

	// Two approvals are needed; Ann's second click counts once.
	answer, err = s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "first approval", answer, "You approved R1", "1 more")
	if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "1 of 2") }); err != nil {
		t.Fatal(err)
	}
	answer, err = s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "second click", answer, "already approved R1")
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users after one of two approvals", n)
	}

	answer, err = s.click(ctx, sandboxBob, msg.Channel, msg.TS, "cakegate_approve")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "final approval", answer, "You approved R1")

	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users before the reveal, want 0", n)
	}
	// Alice is told what was approved, with a Reveal token button and no token.
	reveal, err := s.revealDM(ctx, sandboxAlice, "R1")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "reveal DM", s.slack.RenderMessage(reveal), "approved by @ann, @bob", "for 8h", "[Reveal token]")
	// Carol clicking Alice's button (a forwarded message, a forged click) is refused.
	answer, err = s.click(ctx, sandboxCarol, reveal.Channel, reveal.TS, "cakegate_reveal")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "someone else's reveal", answer, "who asked for R1, can reveal its token")
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 || len(s.slack.Views(sandboxCarol)) != 0 {
		t.Fatalf("carol's click made %d API users and opened %d views", n, len(s.slack.Views(sandboxCarol)))
	}

	view, err := s.reveal(ctx, sandboxAlice, "R1")
	if err != nil {
		t.Fatal(err)
	}
	users := s.datacake.APIUsers(sandboxWorkspace)
	if len(users) != 1 {
		t.Fatalf("got %d API users, want 1", len(users))
	}
	u := users[0]
	wantDevices := []string{s.devices["SN-1001"].ID, s.devices["SN-1002"].ID, s.devices["SN-1003"].ID}
	gotDevices := u.DeviceIDs()
	slices.Sort(wantDevices)
	slices.Sort(gotDevices)
	wantName := "cakegate-" + s.app.Service().Installation + "-r1-u0alice"
	if u.Name != wantName || !slices.Equal(u.Permissions, []string{"devices"}) || !slices.Equal(gotDevices, wantDevices) {
		t.Fatalf("API user %+v: want %s with [devices] on %v", u, wantName, wantDevices)
	}
	for _, d := range u.Devices {
		if !slices.Equal(d.Permissions, []string{"edit_basics", "record_measurements"}) {
			t.Fatalf("device %s has permissions %v", d.Device, d.Permissions)
		}
	}
	// The modal opened at once said it was creating the token; the token came by update.
	opens := s.slack.CallsTo("views.open")
	if len(opens) == 0 || !strings.Contains(string(opens[len(opens)-1].Blocks), "Creating your token") {
		t.Fatal("the click did not open the modal before creating the token")
	}
	mustContain(t, "token modal", string(view.Blocks), u.Token, wantName, "curl", "Authorization: Token", "Endpoint:")

	msg, err = s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "[Revoke]") })
	if err != nil {
		t.Fatal(err)
	}
	text = s.slack.RenderMessage(msg)
	mustContain(t, "approved message", text, "Approved by", "bob")
	mustNotContain(t, "approved message", text, "[Approve]", "[Deny]", u.Token)

	// A second click offers Re-issue: the old API user goes, a new one is shown.
	if _, err := s.sendClick(ctx, sandboxAlice, reveal.Channel, reveal.TS, "cakegate_reveal"); err != nil {
		t.Fatal(err)
	}
	var offer slacktest.View
	if err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, v := range srv.Views(sandboxAlice) {
			if v.CallbackID == "cakegate_reissue" {
				offer = v
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no Re-issue offer: %v", err)
	}
	cb, err := s.slack.ViewButtonClick(sandboxAlice, offer.ID, "cakegate_reissue")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.interact(ctx, cb); err != nil {
		t.Fatal(err)
	}
	if _, err := s.tokenView(ctx, sandboxAlice, 2); err != nil {
		t.Fatal(err)
	}
	users = s.datacake.APIUsers(sandboxWorkspace)
	if len(users) != 1 || users[0].ID == u.ID {
		t.Fatalf("after the re-issue: %+v, want one new API user", users)
	}
	old := u
	u = users[0]
	// The new token is shown before the request is marked active again: wait for the
	// click's work to end.
	if err := s.work.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := s.app.Store().Get(ctx, 1); err != nil || r.State != commands.StateActive {
		t.Fatalf("R1 is not active after the re-issue: %+v, %v", r, err)
	}

	// Only in views opened for Alice: not in a message, a private answer, anyone else's view.
	for _, token := range []string{old.Token, u.Token} {
		if bad := tokenOnlyInViewsOf(s.slack, token, sandboxAlice); len(bad) > 0 {
			t.Fatalf("the token left the requester's modal: %v", bad)
		}
	}

	answer, err = s.click(ctx, sandboxAlice, msg.Channel, msg.TS, "cakegate_revoke")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "revoke", answer, "R1 is revoked")
	if n := len(s.datacake.APIUsers(sandboxWorkspace)); n != 0 {
		t.Fatalf("%d API users after revoke, want 0", n)
	}
	msg, err = s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Revoked") })
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, "revoked message", s.slack.RenderMessage(msg), "[Revoke]", "[Approve]")
	if _, err := s.dm(ctx, sandboxAlice, func(text string) bool { return strings.Contains(text, "revoked") }); err != nil {
		t.Fatal(err)
	}
	// The Reveal DM follows: no button once the grant has ended.
	if _, err := s.dm(ctx, sandboxAlice, func(text string) bool {
		return strings.Contains(text, "Now: Revoked") && !strings.Contains(text, "[Reveal token]")
	}); err != nil {
		t.Fatalf("the Reveal DM still offers the button: %v", err)
	}

	if db := stored(t, s); bytes.Contains(db, []byte(u.Token)) || bytes.Contains(db, []byte(old.Token)) {
		t.Fatal("the token is in the store")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, "logs", logs.String(), u.Token, old.Token, sandboxDCToken, sandboxSecret)
}

// TestBadSignatureChangesNothing sends a slash command signed with the wrong secret, one
// with no signature, and one too old: each gets 401 and nothing happens.
func TestBadSignatureChangesNothing(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	body := slacktest.SlashCommandForm(slackCommand(s, `request role=viewer devices=SN-1001 reason="x"`))
	cases := map[string]*http.Request{}
	req, _ := slacktest.SignedRequest(s.baseURL+"/slack/commands", body, "wrong-secret", time.Now())
	cases["wrong secret"] = req
	req, _ = http.NewRequest(http.MethodPost, s.baseURL+"/slack/commands", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cases["no signature"] = req
	req, _ = slacktest.SignedRequest(s.baseURL+"/slack/commands", body, sandboxSecret, time.Now().Add(-6*time.Minute))
	cases["stale timestamp"] = req
	req, _ = slacktest.SignedRequest(s.baseURL+"/slack/interactions", []byte("payload=%7B%7D"), "wrong-secret", time.Now())
	cases["interaction"] = req
	req, _ = slacktest.SignedRequest(s.baseURL+"/slack/events", []byte(`{"type":"url_verification","challenge":"x"}`), "wrong-secret", time.Now())
	cases["event"] = req
	for name, req := range cases {
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: got %s, want 401", name, resp.Status)
		}
	}
	if n := len(s.slackCallsButHealthChecks()); n != 0 {
		t.Fatalf("refused requests made %d Slack calls", n)
	}
	if rs, _ := s.app.Store().ByUser(ctx, sandboxAlice, 0); len(rs) != 0 {
		t.Fatalf("refused requests stored %d requests", len(rs))
	}
}

func slackCommand(s *sandbox, text string) slack.SlashCommand {
	return slack.SlashCommand{Command: "/cakegate", Text: text, UserID: sandboxAlice, ChannelID: sandboxChannel, ResponseURL: s.slack.NewResponseURL()}
}
