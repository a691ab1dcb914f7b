package slacktest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

func TestAuth(t *testing.T) {
	srv := mustStart(t)

	t.Run("OK", func(t *testing.T) {
		resp, err := client(srv).AuthTest()
		if err != nil {
			t.Fatal(err)
		}
		if resp.UserID != slacktest.DefaultBotUserID || resp.TeamID != slacktest.DefaultTeamID || resp.BotID != slacktest.DefaultBotID {
			t.Fatalf("AuthTest = %+v", resp)
		}
	})

	tests := []struct {
		name, token, want string
	}{
		{"ErrInvalidAuth", "xoxb-wrong", "invalid_auth"},
		{"ErrAppTokenOnBotMethod", slacktest.DefaultAppToken, "not_allowed_token_type"},
		{"ErrNotAuthed", "", "not_authed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := slack.New(tc.token, slack.OptionAPIURL(srv.URL()))
			// Both encodings: form methods carry the token in a field, JSON ones in the header.
			if _, _, err := api.PostMessage("C0X", slack.MsgOptionText("x", false)); slackErr(err) != tc.want {
				t.Errorf("chat.postMessage: got %v, want %s", err, tc.want)
			}
			if _, err := api.PublishView(alice.ID, slack.HomeTabViewRequest{Type: slack.VTHomeTab}, ""); slackErr(err) != tc.want {
				t.Errorf("views.publish: got %v, want %s", err, tc.want)
			}
		})
	}

	t.Run("BearerHeaderOnForm", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"auth.test", strings.NewReader(url.Values{}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+slacktest.DefaultBotToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c := srv.CallsTo("auth.test"); !c[len(c)-1].OK() {
			t.Fatalf("auth.test with a Bearer header: %+v", c[len(c)-1])
		}
	})
}

func TestUnknownMethod(t *testing.T) {
	srv := mustStart(t)
	_, err := client(srv).GetTeamInfo()
	if slackErr(err) != "unknown_method" {
		t.Fatalf("got %v, want unknown_method", err)
	}
	if calls := srv.CallsTo("team.info"); len(calls) != 1 || calls[0].Error != "unknown_method" {
		t.Fatalf("recorded %+v", calls)
	}
}
