package bot_test

import (
	"bytes"
	"context"
	"errors"
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

const httpSecret = "http-test-signing-secret"

// httpFixture is a Bot serving HTTP against the fake Slack and a real store.
type httpFixture struct {
	bot   *bot.Bot
	slack *slacktest.Server
	svc   *commands.Service
	store *commandstest.Store
	srv   *httptest.Server
	ready error // what the readiness check reports
}

func newHTTPFixture(t *testing.T) *httpFixture {
	t.Helper()
	f := &httpFixture{slack: slacktest.New()}
	f.slack.Start()
	t.Cleanup(f.slack.Close)
	for _, id := range []string{"U0ALICE", "U0BOB"} {
		f.slack.AddUser(slacktest.User{ID: id, Name: id})
	}
	f.store = commandstest.NewStore()
	svc := &commands.Service{
		Policy: &commands.Policy{Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC},
		Store:  f.store,
		Clock:  commands.SystemClock{},
	}
	f.bot = bot.New(bot.Config{
		Service:       svc,
		Slack:         slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL())),
		SigningSecret: httpSecret,
		Requests:      f.store,
		Outbox:        f.store,
	})
	svc.Groups = f.bot
	f.svc = svc
	f.srv = httptest.NewServer(f.bot.Handler(func() error { return f.ready }))
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request and returns the status and body of the answer. A non-nil body is
// signed with secret (none when secret is "").
func (f *httpFixture) do(t *testing.T, method, path string, body []byte, secret string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		slacktest.SignRequest(req, body, secret, time.Now())
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// settle waits for all acknowledged work to end. The Bot takes no work afterwards.
func (f *httpFixture) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.bot.Shutdown(ctx); err != nil {
		t.Fatalf("acknowledged work did not end: %v", err)
	}
}

func TestHandlerBodyLimit(t *testing.T) {
	f := newHTTPFixture(t)
	form := slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: "request role=viewer devices=SN-1 reason=", UserID: "U0ALICE",
		ChannelID: "C0APPROVALS", ResponseURL: f.slack.NewResponseURL(),
	})
	over := append(bytes.Clone(form), bytes.Repeat([]byte("x"), bot.MaxBodyBytes+1-len(form))...)
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		t.Run(path, func(t *testing.T) {
			if status, answer := f.do(t, http.MethodPost, path, over, httpSecret, nil); status != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d bytes, signed: got %d %q, want 413", len(over), status, answer)
			}
			// Unsigned, it is refused too, for its size or its signature.
			if status, _ := f.do(t, http.MethodPost, path, over, "", nil); status != http.StatusRequestEntityTooLarge && status != http.StatusUnauthorized {
				t.Fatalf("%d bytes, unsigned: got %d, want 413 or 401", len(over), status)
			}
		})
	}
	// Exactly MaxBodyBytes is read whole: the signature decides (a bad one here).
	atLimit := over[:bot.MaxBodyBytes]
	if status, _ := f.do(t, http.MethodPost, "/slack/commands", atLimit, "wrong-secret", nil); status != http.StatusUnauthorized {
		t.Fatalf("%d bytes with a bad signature: got %d, want 401", len(atLimit), status)
	}
	f.settle(t)
	if calls := f.slack.Calls(); len(calls) != 0 {
		t.Fatalf("refused requests made %d Slack calls", len(calls))
	}
	if n := f.store.Count(); n != 0 {
		t.Fatalf("refused requests stored %d requests", n)
	}
	if n := f.store.Notifications(0); len(n) != 0 {
		t.Fatalf("refused requests queued %d notifications", len(n))
	}
}

func TestHandlerURLVerification(t *testing.T) {
	f := newHTTPFixture(t)
	body := []byte(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"c-123_abc","type":"url_verification"}`)
	asJSON := http.Header{"Content-Type": {"application/json"}}
	status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, asJSON)
	if status != http.StatusOK || answer != "c-123_abc" {
		t.Fatalf("got %d %q, want 200 with the challenge", status, answer)
	}
	// Echoing needs a valid signature like everything else.
	if status, answer := f.do(t, http.MethodPost, "/slack/events", body, "wrong-secret", asJSON); status != http.StatusUnauthorized || strings.Contains(answer, "c-123_abc") {
		t.Fatalf("wrong secret: got %d %q, want 401 without the challenge", status, answer)
	}
}

func TestHandlerHealthChecks(t *testing.T) {
	f := newHTTPFixture(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if status, answer := f.do(t, http.MethodGet, path, nil, "", nil); status != http.StatusOK {
			t.Errorf("GET %s: got %d %q, want 200", path, status, answer)
		}
	}
	f.ready = errors.New("database closed")
	if status, answer := f.do(t, http.MethodGet, "/readyz", nil, "", nil); status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz when not ready: got %d %q, want 503", status, answer)
	}
	if status, _ := f.do(t, http.MethodGet, "/healthz", nil, "", nil); status != http.StatusOK {
		t.Errorf("GET /healthz when not ready: got %d, want 200 (alive, just not ready)", status)
	}
}

func homeOpened(user string) []byte {
	return fmt.Appendf(nil, `{"type":"app_home_opened","user":%q,"channel":"D%s","tab":"home","event_ts":"1764234000.000100"}`, user, user)
}

// TestHandlerEventRetryHandledOnce: Slack retries an event it saw no 2xx for, with the same
// event_id. The retry is acknowledged and not handled again; a retry whose first delivery
// never arrived is handled.
func TestHandlerEventRetryHandledOnce(t *testing.T) {
	f := newHTTPFixture(t)
	retry := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}

	alice, err := f.slack.EventCallback(homeOpened("U0ALICE"))
	if err != nil {
		t.Fatal(err)
	}
	if status, answer := f.do(t, http.MethodPost, "/slack/events", alice, httpSecret, nil); status != http.StatusOK {
		t.Fatalf("event: got %d %q", status, answer)
	}
	for range 2 {
		if status, answer := f.do(t, http.MethodPost, "/slack/events", alice, httpSecret, retry); status != http.StatusOK {
			t.Fatalf("retry: got %d %q, want 200 or Slack retries again", status, answer)
		}
	}
	// Bob's first delivery was lost: his retry is all there is.
	bob, err := f.slack.EventCallback(homeOpened("U0BOB"))
	if err != nil {
		t.Fatal(err)
	}
	if status, answer := f.do(t, http.MethodPost, "/slack/events", bob, httpSecret, retry); status != http.StatusOK {
		t.Fatalf("bob's retry: got %d %q", status, answer)
	}
	f.settle(t)

	perUser := map[string]int{}
	for _, c := range f.slack.CallsTo("views.publish") {
		if !c.OK() {
			t.Fatalf("views.publish failed: %s %v", c.Error, c.Problems)
		}
		perUser[c.Params["user_id"]]++
	}
	if perUser["U0ALICE"] != 1 || perUser["U0BOB"] != 1 {
		t.Fatalf("views.publish per user %v, want one each", perUser)
	}
}
