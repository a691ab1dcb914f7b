package bot_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// An extend form submitted without a form state (no such payload comes from Slack, but
// anyone holding the app token's connection can send one) is refused in the form; before
// the nil check it crashed the Socket Mode reader and with it the process.
func TestSocketExtendWithoutStateIsRefused(t *testing.T) {
	svc := &commands.Service{Policy: &commands.Policy{ApprovalsChannel: "C0APPROVALS", Location: time.UTC}, Clock: commands.SystemClock{}}
	f := newSocketFixture(t, svc, bot.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env, err := f.slack.SendInteraction(ctx, slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission,
		User: slack.User{ID: "U0ALICE"},
		View: slack.View{ID: "V0FORGED", CallbackID: "cakegate_extend", PrivateMetadata: "R1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := f.slack.WaitAck(ctx, env)
	if err != nil && !bytes.Contains(ack, []byte(`"errors"`)) {
		t.Fatalf("the stateless extend form was not refused: ack %s, %v", ack, err)
	}
	f.alive(t)
}

// A panic on the Socket Mode reader (here: a Service without a store, as a bug might leave
// it) costs that one envelope: it is logged and counted, and the next envelope is handled.
func TestSocketReaderSurvivesPanic(t *testing.T) {
	svc := &commands.Service{Policy: &commands.Policy{ApprovalsChannel: "C0APPROVALS", Location: time.UTC}, Clock: commands.SystemClock{}}
	f := newSocketFixture(t, svc, bot.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	state := &slack.ViewState{Values: map[string]map[string]slack.BlockAction{"reason": {"reason": {Value: "no"}}}}
	if _, err := f.slack.SendInteraction(ctx, slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission,
		User: slack.User{ID: "U0BOB"},
		View: slack.View{ID: "V0DENY", CallbackID: "cakegate_deny", PrivateMetadata: "R1", State: state},
	}); err != nil {
		t.Fatal(err)
	}
	f.alive(t)
	if n := f.panics.get(bot.PanicSocket); n != 1 {
		t.Fatalf("%d panics counted on the socket reader, want 1", n)
	}
}

// A panic in an HTTP handler answers 500 and is counted.
func TestHTTPPanicIsCounted(t *testing.T) {
	var panics panicCounter
	svc := &commands.Service{Policy: &commands.Policy{ApprovalsChannel: "C0APPROVALS", Location: time.UTC}, Clock: commands.SystemClock{}}
	b := bot.New(bot.Config{Service: svc, SigningSecret: httpSecret, OnPanic: panics.count})
	srv := httptest.NewServer(b.Handler(nil))
	defer srv.Close()
	payload := `{"type":"view_submission","user":{"id":"U0BOB"},"view":{"callback_id":"cakegate_deny","private_metadata":"R1","state":{"values":{"reason":{"reason":{"type":"plain_text_input","value":"no"}}}}}}`
	body := []byte("payload=" + url.QueryEscape(payload))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/interactions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	slacktest.SignRequest(req, body, httpSecret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || panics.get(bot.PanicHTTP) != 1 {
		t.Fatalf("answered %d with %d panics counted; want 500 and 1", resp.StatusCode, panics.get(bot.PanicHTTP))
	}
}
