package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// hostile is what a person or Datacake might put in any text: a channel-wide ping, a
// mention, a channel link, a user-group ping and a forged link.
const hostile = `<!channel> <!here> <!everyone> <@U0EVIL> <#C0EVIL> <!subteam^S0EVIL> <https://evil.example|Approve R1> &lt;b&gt;`

// slackMarkup finds every <…> sequence Slack would act on.
var slackMarkup = regexp.MustCompile(`<[^<>]*>`)

// ownMarkup is the markup cakegate writes itself: mentions of the people in the story and
// its date tokens.
var ownMarkup = regexp.MustCompile(`^<(@U0(ALICE|ANN|BOB)|!date\^\d+\^[^|>]*\|[^>]*)>$`)

// TestHostileTextStaysInert walks every notification kind (approval request and update,
// its copies by DM and replies in its thread, requester notices, reminders, approver
// alerts, the notice to the person a deleted orphan was made for), the token DM, the Home tab, every modal,
// the private replies and the list, status, pending, roles and audit renderers, with
// reasons, device names, API-user names and Datacake errors that hold Slack markup; then
// it checks every text cakegate sent to Slack: no markup survives but cakegate's own.
func TestHostileTextStaysInert(t *testing.T) {
	f := newHostileFixture(t)
	ctx := homeContext(t)
	svc := f.svc

	ask := func(role string) *commands.Request {
		t.Helper()
		r, err := svc.Request(ctx, commands.RequestInput{Requester: "U0ALICE", Role: role, Devices: []string{"SN-1"}, Reason: hostile})
		if err != nil {
			t.Fatalf("request %s: %v", role, err)
		}
		return r
	}
	must := func(_ *commands.Request, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The requester reveals an approved token; the token itself is not this test's concern.
	reveal := func(id commands.RequestID) (*commands.Request, error) {
		return svc.Reveal(ctx, id, "U0ALICE", func(context.Context, *commands.Request, commands.Token) error { return nil })
	}
	// Denied with a reason.
	r1 := ask("viewer")
	must(svc.Deny(ctx, r1.ID, "U0ANN", hostile))
	// Granted (the API user's name comes from Datacake), extension asked and denied,
	// then revoked with a reason.
	r2 := ask("viewer")
	must(svc.Approve(ctx, r2.ID, "U0ANN"))
	must(reveal(r2.ID))
	must(svc.Extend(ctx, r2.ID, "U0ALICE", time.Hour))
	must(svc.Deny(ctx, r2.ID, "U0BOB", hostile))
	must(svc.Revoke(ctx, r2.ID, "U0ANN", hostile))
	// Datacake refuses to create the API user, with its own error text.
	r3 := ask("viewer")
	must(svc.Approve(ctx, r3.ID, "U0ANN"))
	f.datacake.createErr = errors.New(hostile)
	reveal(r3.ID)
	f.datacake.createErr = nil
	// Break-glass: the approvers are alerted with the reason.
	ask("emergency")
	// Granted, then reminded, then expired.
	r5 := ask("viewer")
	must(svc.Approve(ctx, r5.ID, "U0ANN"))
	must(reveal(r5.ID))
	// Pending: re-notified, then timed out.
	ask("viewer")
	f.clock.Advance(7 * time.Hour)
	for _, sweep := range []func(context.Context) (commands.SweepResult, error){svc.RemindDue, svc.TimeOutPending} {
		if _, err := sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	f.deliver(t)
	// The reminder's Extend button opens the extend form.
	dms := f.slack.DMs("U0ALICE")
	if len(dms) == 0 {
		t.Fatal("no reminder DM")
	}
	f.click(t, "U0ALICE", dms[len(dms)-1], bot.ActionExtend)
	f.clock.Advance(2 * time.Hour)
	for _, sweep := range []func(context.Context) (commands.SweepResult, error){svc.ExpireDue, svc.TimeOutPending} {
		if _, err := sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Reconcile meets an API user with cakegate's prefix that no grant owns.
	f.datacake.orphan = commands.APIUser{ID: "orphan<!channel>", Name: commands.APIUserName(svc.Installation, 99, "U0ALICE") + hostile}
	if _, err := svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	// A pending request whose Deny button opens the form.
	r7 := ask("viewer")
	f.deliver(t)
	m, ok := f.approvalMessage(r7.ID)
	if !ok {
		t.Fatalf("no approval message for %s", r7.ID)
	}
	f.click(t, "U0ANN", m, bot.ActionDeny)

	// Private replies: confirmations, errors that echo what was typed, and the lists.
	for _, c := range []struct{ user, text string }{
		{"U0ALICE", "request role=viewer devices=SN-1 reason=\"" + strings.ReplaceAll(hostile, `"`, "") + "\""},
		{"U0ALICE", "request role=viewer devices=" + strings.ReplaceAll(hostile, " ", "")},
		{"U0ALICE", "request role=" + strings.ReplaceAll(hostile, " ", "")},
		{"U0ALICE", strings.ReplaceAll(hostile, " ", "")},
		{"U0ALICE", "status " + strings.ReplaceAll(hostile, " ", "")},
		{"U0ALICE", "list"},
		{"U0ALICE", fmt.Sprintf("status %s", r1.ID)},
		{"U0ALICE", fmt.Sprintf("status %s", r3.ID)},
		{"U0ALICE", "request"},
		{"U0ANN", "pending"},
		{"U0ANN", "audit 100"},
		{"U0ANN", "roles"},
		{"U0ANN", fmt.Sprintf("revoke %s %s", r5.ID, hostile)},
	} {
		f.slash(t, c.user, c.text)
	}
	// The Home tabs of the requester and an approver.
	f.openHome(t, "U0ALICE")
	f.openHome(t, "U0ANN")
	if err := f.bot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	f.deliver(t)

	// The renderers, called directly on every stored request.
	var rendered []string
	now := f.clock.Now()
	var all []*commands.Request
	for id := commands.RequestID(1); id <= r7.ID; id++ {
		r, err := f.store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
		for _, render := range []func() (string, []slack.Block){
			func() (string, []slack.Block) { return bot.ApprovalMessage(r, now) },
			func() (string, []slack.Block) { return bot.StatusMessage(r, now) },
			func() (string, []slack.Block) { return bot.ReminderMessage(r, time.Hour, now) },
		} {
			fallback, blocks := render()
			rendered = append(rendered, fallback, jsonText(t, blocks))
		}
		rendered = append(rendered, bot.RequestLine(r))
	}
	for _, render := range []func() (string, []slack.Block){
		func() (string, []slack.Block) { return bot.ListMessage(all, now) },
		func() (string, []slack.Block) { return bot.PendingMessage(all, now) },
	} {
		fallback, blocks := render()
		rendered = append(rendered, fallback, jsonText(t, blocks))
	}
	events, err := f.store.RecentAudit(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fallback, blocks := bot.AuditMessage(events, time.UTC)
	rendered = append(rendered, fallback, jsonText(t, blocks))

	// Everything cakegate sent: every Web API call and every reply through a response URL.
	var sent []string
	kinds := map[string]bool{}
	for _, c := range f.slack.Calls() {
		for k, v := range c.Params {
			if k == "channel" || k == "user" || k == "user_id" || k == "users" || k == "ts" || k == "trigger_id" || k == "view_id" {
				continue
			}
			sent = append(sent, stringsIn(v)...)
		}
		sent = append(sent, stringsIn(string(c.Blocks))...)
	}
	for _, url := range f.responseURLs {
		for _, p := range f.slack.ResponseURLPosts(url) {
			sent = append(sent, stringsIn(string(p.Body))...)
		}
	}
	for _, s := range append(sent, rendered...) {
		for _, m := range slackMarkup.FindAllString(s, -1) {
			if !ownMarkup.MatchString(m) {
				t.Errorf("markup %q that cakegate did not write reached Slack in:\n%s", m, s)
			}
		}
	}
	// The walk reached what it meant to: the hostile text was shown, escaped, in each place.
	joined := strings.Join(sent, "\n")
	for _, want := range []string{"views.open", "views.publish", "chat.postMessage", "chat.update"} {
		kinds[want] = len(f.slack.CallsTo(want)) > 0
		if !kinds[want] {
			t.Errorf("no %s call: the walk missed a path", want)
		}
	}
	for _, want := range []string{
		"Break-glass", "Reason: &lt;!channel&gt;", "has waited", "Extend it if you need", "no request", "could not create",
		"asks to extend", "denied extending", "has expired", "has been revoked", "&lt;@U0EVIL&gt;",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("nothing sent to Slack says %q: the walk missed a notification", want)
		}
	}
}

// stringsIn returns s, and when s is JSON every string in it, decoded: Slack reads
// "\u003c" as "<". Plain-text objects are left out: Slack shows them as they are, and
// makes no mention or link of them.
func stringsIn(s string) []string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return []string{s}
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
			if strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") {
				out = append(out, stringsIn(v)...)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if v["type"] == "plain_text" {
				return
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func jsonText(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(stringsIn(string(raw)), "\n")
}

// hostileFixture is a Bot over HTTP with a store, a manual clock and a Datacake whose
// names and errors hold Slack markup.
type hostileFixture struct {
	bot          *bot.Bot
	slack        *slacktest.Server
	svc          *commands.Service
	store        *commandstest.Store
	datacake     *hostileDatacake
	clock        *commandstest.Clock
	srv          *httptest.Server
	responseURLs []string
}

const hostileSecret = "hostile-test-signing-secret"

func newHostileFixture(t *testing.T) *hostileFixture {
	t.Helper()
	f := &hostileFixture{slack: slacktest.New(), datacake: &hostileDatacake{}, clock: commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))}
	f.slack.Start()
	t.Cleanup(f.slack.Close)
	for _, id := range []string{"U0ALICE", "U0ANN", "U0BOB"} {
		f.slack.AddUser(slacktest.User{ID: id, Name: strings.ToLower(id)})
	}
	f.store = commandstest.NewStore()
	viewer := &commands.Role{Name: "viewer", Devices: commands.DeviceScope{Any: true}, MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1, Description: hostile}
	emergency := &commands.Role{Name: "emergency", Devices: commands.DeviceScope{Any: true}, MaxDuration: 24 * time.Hour, DefaultDuration: time.Hour, Approvals: 1, BreakGlass: true}
	f.svc = &commands.Service{
		Policy: &commands.Policy{
			Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC,
			Approvers:      []string{"U0ANN", "U0BOB"},
			Roles:          map[string]*commands.Role{"viewer": viewer, "emergency": emergency},
			RoleOrder:      []string{"viewer", "emergency"},
			Reminders:      []time.Duration{2 * time.Hour},
			PendingTimeout: 8 * time.Hour,
			Orphans:        commands.OrphansDelete,
			OrphansBrake:   3,
			// Approvers are asked in the channel and by DM, and re-asked (in the thread and
			// by DM) while a request waits: every way a request's text reaches them.
			NotifyApprovers: commands.NotifyBoth,
			EscalateAfter:   time.Hour,
		},
		Installation: "k3f9q2",
		InstalledAt:  time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
		Store:        f.store, Journal: f.store, AuditLog: f.store,
		Datacake: f.datacake,
		Devices:  commandstest.Devices{{ID: "d1", Name: hostile, Serial: "SN-1", Tags: []string{hostile}}},
		Clock:    f.clock,
	}
	f.bot = bot.New(bot.Config{
		Service:       f.svc,
		Slack:         slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL())),
		SigningSecret: hostileSecret,
		Requests:      f.store,
		Outbox:        f.store,
	})
	f.svc.Groups = f.bot
	f.srv = httptest.NewServer(f.bot.Handler(nil))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *hostileFixture) deliver(t *testing.T) {
	t.Helper()
	if _, err := f.bot.DeliverOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *hostileFixture) approvalMessage(id commands.RequestID) (slacktest.Message, bool) {
	for _, m := range f.slack.Messages("C0APPROVALS") {
		if strings.HasPrefix(m.Text, id.String()+":") {
			return m, true
		}
	}
	return slacktest.Message{}, false
}

func (f *hostileFixture) post(t *testing.T, path string, body []byte) {
	t.Helper()
	req, err := slacktest.SignedRequest(f.srv.URL+path, body, hostileSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: got %d %s", path, resp.StatusCode, answer)
	}
	if len(answer) > 0 {
		f.responseAnswers(answer)
	}
}

// responseAnswers keeps an immediate HTTP answer to scan with the rest.
func (f *hostileFixture) responseAnswers(answer []byte) {
	url := f.slack.NewResponseURL()
	f.responseURLs = append(f.responseURLs, url)
	http.Post(url, "application/json", strings.NewReader(string(answer)))
}

func (f *hostileFixture) slash(t *testing.T, user, text string) {
	t.Helper()
	url := f.slack.ResponseURLFor("C0GENERAL", user, "")
	f.responseURLs = append(f.responseURLs, url)
	f.post(t, "/slack/commands", slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: text, UserID: user, ChannelID: "C0GENERAL", TeamID: slacktest.DefaultTeamID,
		ResponseURL: url, TriggerID: f.slack.NewTriggerID(user),
	}))
}

func (f *hostileFixture) click(t *testing.T, user string, m slacktest.Message, actionID string) {
	t.Helper()
	cb, err := f.slack.ButtonClick(user, m.Channel, m.TS, actionID)
	if err != nil {
		t.Fatal(err)
	}
	f.responseURLs = append(f.responseURLs, cb.ResponseURL)
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	f.post(t, "/slack/interactions", body)
}

func (f *hostileFixture) openHome(t *testing.T, user string) {
	t.Helper()
	body, err := f.slack.EventCallback(homeOpenedEvent(user))
	if err != nil {
		t.Fatal(err)
	}
	f.post(t, "/slack/events", body)
}

// hostileDatacake names API users with markup, fails with markup when told, and lists an
// orphan when told.
type hostileDatacake struct {
	mu        sync.Mutex
	n         int
	createErr error
	orphan    commands.APIUser
}

func (d *hostileDatacake) CreateAPIUser(_ context.Context, spec commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.createErr != nil {
		return commands.APIUser{}, "", &commands.Error{Code: commands.CodeUnavailable, Message: d.createErr.Error(), Err: d.createErr}
	}
	d.n++
	return commands.APIUser{ID: fmt.Sprintf("api-%d", d.n), Name: spec.Name + hostile}, commands.Token(fmt.Sprintf("tok-%d", d.n)), nil
}

func (d *hostileDatacake) DeleteAPIUser(context.Context, string) error { return nil }

func (d *hostileDatacake) FindAPIUsers(_ context.Context, _, prefix string) ([]commands.APIUser, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.orphan.ID != "" {
		return []commands.APIUser{d.orphan}, nil
	}
	return nil, nil
}
