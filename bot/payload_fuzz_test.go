package bot_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

const fuzzSecret = "fuzz-signing-secret"

// fuzzBot is a Bot over a real store and a fake Slack, for throwing arbitrary signed
// payloads at.
func fuzzBot(f *testing.F) http.Handler {
	fake := slacktest.New()
	fake.Start()
	f.Cleanup(fake.Close)
	store := commandstest.NewStore()
	svc := &commands.Service{
		Policy: &commands.Policy{
			Workspace: "ws", ApprovalsChannel: "C1", Approvers: []string{"U1"}, AllRequesters: true,
			Location: time.UTC, RoleOrder: []string{"viewer"},
			Roles: map[string]*commands.Role{"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true}, MaxDuration: time.Hour, DefaultDuration: time.Hour, Approvals: 1}},
		},
		Store: store, AuditLog: store, Clock: commands.SystemClock{},
		Devices: commandstest.Devices(nil),
	}
	b := bot.New(bot.Config{
		Service: svc, Slack: slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		SigningSecret: fuzzSecret, Requests: store, Outbox: store, WorkTimeout: 5 * time.Second,
	})
	svc.Groups = b
	f.Cleanup(func() {
		b.Shutdown(f.Context())
	})
	return b.Handler(nil)
}

// FuzzSlackPayloads signs arbitrary bodies as Slack would and sends them to each endpoint:
// whatever they hold, the answer is an acknowledgement or a refusal, never a crash.
func FuzzSlackPayloads(f *testing.F) {
	handler := fuzzBot(f)
	seeds := []struct {
		path string
		body string
	}{
		{"/slack/commands", string(slacktest.SlashCommandForm(slack.SlashCommand{Command: "/cakegate", Text: "help", UserID: "U2"}))},
		{"/slack/commands", "command=%2Fcakegate&text=request+role%3Dviewer&user_id=U2"},
		{"/slack/interactions", "payload=" + url.QueryEscape(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"cakegate_approve","value":"R1"}]}`)},
		{"/slack/interactions", "payload=" + url.QueryEscape(`{"type":"view_submission","user":{"id":"U2"},"view":{"callback_id":"cakegate_request","state":{"values":{}}}}`)},
		{"/slack/interactions", "payload=" + url.QueryEscape(`{"type":"block_suggestion","user":{"id":"U2"},"action_id":"devices","value":"x","view":{"private_metadata":"viewer"}}`)},
		{"/slack/interactions", "payload=%7B"},
		{"/slack/events", `{"type":"url_verification","challenge":"abc"}`},
		{"/slack/events", `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":"U2","tab":"home"}}`},
		{"/slack/events", `{"type":"event_callback","event":{"type":"nonsense"}}`},
		{"/slack/events", `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel":"C1","user":"U2","text":"0123456789abcdef0123456789abcdef01234567","ts":"1.2"}}`},
		{"/slack/events", `{"type":"event_callback","event_id":"Ev3","event":{"type":"message","subtype":"message_changed","channel":"C1","message":{"text":"x","ts":"1.2"},"ts":"1.3"}}`},
		{"/slack/events", `{"type":"event_callback","event_id":"Ev4","event":{"type":"message","subtype":"message_changed","channel":"C1"}}`},
		{"/slack/events", `{"type":"event_callback","event_id":"Ev5","event":{"type":"user_change","user":{"id":"U2","deleted":true}}}`},
	}
	for _, s := range seeds {
		f.Add(s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		switch path {
		case "/slack/commands", "/slack/interactions", "/slack/events":
		default:
			path = "/slack/interactions"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		slacktest.SignRequest(req, body, fuzzSecret, time.Now())
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			out, _ := io.ReadAll(rec.Body)
			t.Fatalf("%s answered %d to a signed body: %s", path, rec.Code, out)
		}
	})
}
