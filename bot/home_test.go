package bot_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

const homeSecret = "home-test-signing-secret"

// homeOpenedEvent is the app_home_opened event Slack sends when user opens their Home tab.
func homeOpenedEvent(user string) []byte {
	return fmt.Appendf(nil, `{"type":"app_home_opened","user":%q,"channel":"D%s","tab":"home","event_ts":"1764234000.000100"}`, user, user)
}

// homeFixture is a Bot serving HTTP against the fake Slack, a real store and an in-memory
// Datacake. Ann and Bob approve; Carol only asks.
type homeFixture struct {
	bot      *bot.Bot
	slack    *slacktest.Server
	svc      *commands.Service
	datacake *commandstest.Datacake
	srv      *httptest.Server
}

// newHomeFixture builds the fixture; opts are added to the Bot's Slack client (an HTTP
// client that holds some calls back, say).
func newHomeFixture(t *testing.T, opts ...slack.Option) *homeFixture {
	t.Helper()
	f := &homeFixture{slack: slacktest.New(), datacake: commandstest.NewDatacake()}
	f.slack.Start()
	t.Cleanup(f.slack.Close)
	for _, id := range []string{"U0ALICE", "U0ANN", "U0BOB", "U0CAROL"} {
		f.slack.AddUser(slacktest.User{ID: id, Name: strings.ToLower(strings.TrimPrefix(id, "U0"))})
	}
	store := commandstest.NewStore()
	viewer := &commands.Role{Name: "viewer", Devices: commands.DeviceScope{Any: true}, MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1}
	f.svc = &commands.Service{
		Policy: &commands.Policy{
			Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC,
			Approvers: []string{"U0ANN", "U0BOB"},
			Roles:     map[string]*commands.Role{"viewer": viewer}, RoleOrder: []string{"viewer"},
		},
		Store:    store,
		Datacake: f.datacake,
		Devices:  commandstest.Devices{{ID: "d1", Name: "Freezer 2", Serial: "SN-1002"}},
		Clock:    commands.SystemClock{},
	}
	f.bot = bot.New(bot.Config{
		Service:       f.svc,
		Slack:         slack.New(slacktest.DefaultBotToken, append([]slack.Option{slack.OptionAPIURL(f.slack.URL())}, opts...)...),
		SigningSecret: homeSecret,
		Requests:      store,
		Outbox:        store,
	})
	f.svc.Groups = f.bot
	f.srv = httptest.NewServer(f.bot.Handler(func() error { return nil }))
	t.Cleanup(f.srv.Close)
	return f
}

func homeContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// request has user ask for the viewer role; the approval message is not delivered yet.
func (f *homeFixture) request(t *testing.T, user string) *commands.Request {
	t.Helper()
	r, err := f.svc.Request(homeContext(t), commands.RequestInput{Requester: user, Role: "viewer", Devices: []string{"SN-1002"}, Reason: "check the freezer"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// openHome has user open their Home tab, as a signed app_home_opened event.
func (f *homeFixture) openHome(t *testing.T, user string) {
	t.Helper()
	body, err := f.slack.EventCallback(homeOpenedEvent(user))
	if err != nil {
		t.Fatal(err)
	}
	if status, answer := f.do(t, "/slack/events", body); status != http.StatusOK {
		t.Fatalf("app_home_opened: got %d %q", status, answer)
	}
}

// click has user press the button with actionID on their Home tab, as a signed interaction.
func (f *homeFixture) click(t *testing.T, user, actionID string) slack.InteractionCallback {
	t.Helper()
	home, ok := f.slack.HomeTab(user)
	if !ok {
		t.Fatalf("%s has no Home tab", user)
	}
	cb, err := f.slack.ViewButtonClick(user, home.ID, actionID)
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, cb)
	return cb
}

// reveal has user click Reveal token on their Home tab and waits for the modal that shows
// the token; it returns that view.
func (f *homeFixture) reveal(t *testing.T, user string) slacktest.View {
	t.Helper()
	f.openHome(t, user)
	f.waitHome(t, user, homeShows("[Reveal token]"))
	f.click(t, user, bot.ActionReveal)
	var shown slacktest.View
	if err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		for _, v := range s.Views(user) {
			if v.CallbackID == "cakegate_reveal" && strings.Contains(string(v.Blocks), "Copy it now") {
				shown = v
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no token modal for %s: %v", user, err)
	}
	f.waitHome(t, user, homeShows("Expires"))
	return shown
}

// deliver sends a click as Slack does over HTTP.
func (f *homeFixture) deliver(t *testing.T, cb slack.InteractionCallback) {
	t.Helper()
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	if status, answer := f.do(t, "/slack/interactions", body); status != http.StatusOK {
		t.Fatalf("interaction: got %d %q", status, answer)
	}
}

func (f *homeFixture) do(t *testing.T, path string, body []byte) (int, string) {
	t.Helper()
	req, err := slacktest.SignedRequest(f.srv.URL+path, body, homeSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// waitHome waits until user's Home tab, as they see it, satisfies ok, and returns it.
func (f *homeFixture) waitHome(t *testing.T, user string, ok func(string) bool) string {
	t.Helper()
	var text string
	err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		home, found := s.HomeTab(user)
		if !found {
			return false
		}
		text = s.RenderView(home)
		return ok(text)
	})
	if err != nil {
		t.Fatalf("%s's Home tab never got there: %v\nit shows:\n%s", user, err, text)
	}
	return text
}

func homeShows(subs ...string) func(string) bool {
	return func(text string) bool {
		for _, s := range subs {
			if !strings.Contains(text, s) {
				return false
			}
		}
		return true
	}
}

// publishes counts views.publish calls per user, failing on any Slack refused.
func (f *homeFixture) publishes(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range f.slack.CallsTo("views.publish") {
		if !c.OK() {
			t.Fatalf("views.publish for %s failed: %s %v", c.Params["user_id"], c.Error, c.Problems)
		}
		out[c.Params["user_id"]]++
	}
	return out
}

// settle waits for all work to end; the Bot takes no work afterwards.
func (f *homeFixture) settle(t *testing.T) {
	t.Helper()
	if err := f.bot.Shutdown(homeContext(t)); err != nil {
		t.Fatalf("work did not end: %v", err)
	}
}

func TestHomeShowsTheQueueToApproversOnly(t *testing.T) {
	f := newHomeFixture(t)
	f.request(t, "U0ALICE")
	f.openHome(t, "U0ANN")
	f.openHome(t, "U0CAROL")
	f.openHome(t, "U0ALICE")

	ann := f.waitHome(t, "U0ANN", homeShows("Waiting for you (1)", "R1", "@alice asks for *viewer*", "[Approve] [Deny]"))
	if strings.Contains(ann, "[Cancel]") {
		t.Fatalf("ann sees alice's Cancel:\n%s", ann)
	}
	carol := f.waitHome(t, "U0CAROL", homeShows("My tokens"))
	if strings.Contains(carol, "Waiting for you") || strings.Contains(carol, "R1") {
		t.Fatalf("carol, no approver, sees the queue:\n%s", carol)
	}
	alice := f.waitHome(t, "U0ALICE", homeShows("My requests", "*R1* · role *viewer* for 8h", "[Cancel]", "[Request a token]"))
	if strings.Contains(alice, "Waiting for you") {
		t.Fatalf("alice sees a queue:\n%s", alice)
	}
}

// TestHomeApproveAndStaleClick: ann approves on her Home tab and reads what happened at
// its top; the same click again changes nothing and says why there.
func TestHomeApproveAndStaleClick(t *testing.T) {
	f := newHomeFixture(t)
	f.request(t, "U0ALICE")
	f.openHome(t, "U0ANN")
	f.waitHome(t, "U0ANN", homeShows("[Approve]"))

	cb := f.click(t, "U0ANN", bot.ActionApprove)
	ann := f.waitHome(t, "U0ANN", homeShows(":white_check_mark: You approved R1"))
	if strings.Contains(ann, "[Approve]") {
		t.Fatalf("R1 is still waiting on ann's Home tab after she approved it:\n%s", ann)
	}
	if n := int(f.datacake.Created.Load()); n != 0 {
		t.Fatalf("%d API users created before the reveal, want 0", n)
	}

	// The same click again, as from a second screen that still shows the old tab.
	cb.TriggerID = f.slack.NewTriggerID("U0ANN")
	f.deliver(t, cb)
	f.waitHome(t, "U0ANN", homeShows(":warning: R1 is already approved by @ann"))
	// Carol is no approver: her click (forged from ann's) is refused on her own tab.
	f.openHome(t, "U0CAROL")
	f.waitHome(t, "U0CAROL", homeShows("My tokens"))
	cb.User = slack.User{ID: "U0CAROL"}
	f.deliver(t, cb)
	f.waitHome(t, "U0CAROL", homeShows(":warning:"))
	if n := int(f.datacake.Created.Load()); n != 0 {
		t.Fatalf("%d API users created after the stale clicks, want 0", n)
	}
	r, err := f.svc.Store.Get(homeContext(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != commands.StateApproved || len(r.Approvals) != 1 {
		t.Fatalf("R1 is %s with %d approvals, want approved with 1", r.State, len(r.Approvals))
	}
}

// TestHomeRefreshAfterOutbox: once the outbox has told Slack about a change, the Home tabs
// of the requester and the approvers who opened theirs are published again, once each per
// outbox run; others are left alone.
func TestHomeRefreshAfterOutbox(t *testing.T) {
	f := newHomeFixture(t)
	for _, u := range []string{"U0ANN", "U0CAROL", "U0ALICE"} {
		f.openHome(t, u)
		f.waitHome(t, u, homeShows("My tokens"))
	}
	// Two requests of alice's: two notifications in one run, about the same people.
	f.request(t, "U0ALICE")
	f.request(t, "U0ALICE")
	before := f.publishes(t)
	n, err := f.bot.DeliverOutbox(homeContext(t))
	if err != nil || n != 2 {
		t.Fatalf("delivered %d (%v), want 2", n, err)
	}
	f.waitHome(t, "U0ANN", homeShows("Waiting for you (2)", "R1", "R2"))
	f.waitHome(t, "U0ALICE", homeShows("*R1*", "*R2*", "[Cancel]"))
	f.settle(t)

	after := f.publishes(t)
	for user, want := range map[string]int{"U0ALICE": 1, "U0ANN": 1, "U0CAROL": 0, "U0BOB": 0} {
		if got := after[user] - before[user]; got != want {
			t.Errorf("%s's Home tab published %d times by the outbox run, want %d", user, got, want)
		}
	}
}

// TestHomeRevokeAndCancel: alice ends her token and withdraws a request from her Home tab.
func TestHomeRevokeAndCancel(t *testing.T) {
	f := newHomeFixture(t)
	r1 := f.request(t, "U0ALICE")
	if _, err := f.svc.Approve(homeContext(t), r1.ID, "U0BOB"); err != nil {
		t.Fatal(err)
	}
	f.reveal(t, "U0ALICE")
	f.request(t, "U0ALICE")
	f.openHome(t, "U0ALICE")
	f.waitHome(t, "U0ALICE", homeShows("*R1* · role *viewer*", "[Extend] [Revoke]", "*R2*", "[Cancel]"))

	f.click(t, "U0ALICE", bot.ActionCancel)
	f.waitHome(t, "U0ALICE", homeShows("You cancelled R2", "*R2* · viewer · 1 device · cancelled"))
	f.click(t, "U0ALICE", bot.ActionRevoke)
	alice := f.waitHome(t, "U0ALICE", homeShows(":no_entry: R1 is revoked", "Recently ended", "*R1* · viewer · 1 device · revoked"))
	if strings.Contains(alice, "[Revoke]") || strings.Contains(alice, "[Cancel]") {
		t.Fatalf("buttons left on ended requests:\n%s", alice)
	}
	if n := f.datacake.Count(); n != 0 {
		t.Fatalf("%d API users left after revoke, want 0", n)
	}
}

// TestHomeExtend: Extend on the Home tab opens the extend form with the click's trigger;
// when there is nothing to extend, the tab says so instead.
func TestHomeExtend(t *testing.T) {
	f := newHomeFixture(t)
	r1 := f.request(t, "U0ALICE")
	if _, err := f.svc.Approve(homeContext(t), r1.ID, "U0BOB"); err != nil {
		t.Fatal(err)
	}
	f.reveal(t, "U0ALICE")
	f.slack.CloseModals("U0ALICE")
	f.openHome(t, "U0ALICE")
	f.waitHome(t, "U0ALICE", homeShows("[Extend]"))
	cb := f.click(t, "U0ALICE", bot.ActionExtend)
	if err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		views := s.Views("U0ALICE")
		return len(views) == 1 && views[0].CallbackID == "cakegate_extend"
	}); err != nil {
		t.Fatalf("no extend form opened: %v", err)
	}
	f.slack.CloseModals("U0ALICE")

	if _, err := f.svc.Revoke(homeContext(t), r1.ID, "U0ALICE", ""); err != nil {
		t.Fatal(err)
	}
	cb.TriggerID = f.slack.NewTriggerID("U0ALICE")
	f.deliver(t, cb)
	f.waitHome(t, "U0ALICE", homeShows(":warning: R1 was already revoked"))
	if views := f.slack.Views("U0ALICE"); len(views) != 0 {
		t.Fatalf("a form opened for a revoked token: %+v", views)
	}
}

// TestHomeDeny: Deny on the Home tab opens the form for a reason; once denied, the queue
// empties after the outbox run, and a stale Deny says who decided.
func TestHomeDeny(t *testing.T) {
	f := newHomeFixture(t)
	f.openHome(t, "U0ALICE")
	f.request(t, "U0ALICE")
	f.openHome(t, "U0ANN")
	f.waitHome(t, "U0ANN", homeShows("[Deny]"))
	deny := f.click(t, "U0ANN", bot.ActionDeny)
	if err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		m, ok := s.ModalOpen("U0ANN")
		return ok && m.CallbackID == "cakegate_deny"
	}); err != nil {
		t.Fatalf("no deny form opened: %v", err)
	}
	submit, err := f.slack.ViewSubmission("U0ANN", map[string]map[string]slack.BlockAction{"reason": {"reason": {Type: "plain_text_input", Value: "use the shared dashboard"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, submit)
	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	f.waitHome(t, "U0ANN", homeShows("Nothing is waiting for your decision."))
	f.waitHome(t, "U0ALICE", homeShows("*R1* · viewer · 1 device · denied"))

	deny.TriggerID = f.slack.NewTriggerID("U0ANN")
	f.deliver(t, deny)
	f.waitHome(t, "U0ANN", homeShows(":warning: R1 was already denied by @ann."))
}

// TestHomeNotPublishedWhenUnchanged: a refresh that would show what a tab shows already
// sends nothing: Slack's views.publish limit is spent on changes only (issue 27, item 3).
// Opening the tab shows it afresh all the same.
func TestHomeNotPublishedWhenUnchanged(t *testing.T) {
	f := newHomeFixture(t)
	f.openHome(t, "U0ANN")
	f.waitHome(t, "U0ANN", homeShows("Waiting for you"))
	f.request(t, "U0ALICE")
	if _, err := f.bot.DeliverOutbox(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	f.waitHome(t, "U0ANN", homeShows("Waiting for you (1)", "R1"))
	before := f.publishes(t)["U0ANN"]
	// A notification about R1 that changes nothing ann's tab shows, then ann opens it.
	f.store().Enqueue(commands.Notification{Kind: commands.NotifyApprovalUpdate, Request: 1, CreatedAt: time.Now()})
	if n, err := f.bot.DeliverOutbox(homeContext(t)); err != nil || n != 1 {
		t.Fatalf("delivered %d (%v), want 1", n, err)
	}
	f.openHome(t, "U0ANN")
	f.settle(t)
	if got := f.publishes(t)["U0ANN"] - before; got != 1 {
		t.Fatalf("ann's Home tab was published %d more times, want once: when she opened it", got)
	}
}
