package slacktest_test

import (
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
