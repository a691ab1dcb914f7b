package slacktest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
)

func TestCallsSince(t *testing.T) {
	s := slacktest.New()
	s.Start()
	defer s.Close()
	s.AddChannel("C1", "general")
	api := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(s.URL()))
	for _, text := range []string{"one", "two", "three"} {
		if _, _, err := api.PostMessage("C1", slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.CallCount(); n != 3 {
		t.Fatalf("CallCount %d, want 3", n)
	}
	got := s.CallsSince(1)
	if len(got) != 2 || got[0].Params["text"] != "two" || got[1].Params["text"] != "three" {
		t.Fatalf("CallsSince(1) = %+v, want the last two posts", got)
	}
	if got := s.CallsSince(3); len(got) != 0 {
		t.Fatalf("CallsSince(3) = %+v, want none", got)
	}
}

// Handler serves the same fake in process.
func TestHandlerInProcess(t *testing.T) {
	s := slacktest.New()
	s.Start()
	defer s.Close()
	s.AddChannel("C1", "general")
	api := slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(s.URL()), slack.OptionHTTPClient(&http.Client{Transport: handlerTransport{s.Handler()}}))
	if _, _, err := api.PostMessage("C1", slack.MsgOptionText("in process", false)); err != nil {
		t.Fatal(err)
	}
	if msgs := s.Messages("C1"); len(msgs) != 1 || msgs[0].Text != "in process" {
		t.Fatalf("messages %+v", msgs)
	}
}

// handlerTransport serves client requests with an http.Handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	sreq := req.Clone(req.Context())
	sreq.RequestURI = req.URL.RequestURI()
	t.h.ServeHTTP(rec, sreq)
	return rec.Result(), nil
}
