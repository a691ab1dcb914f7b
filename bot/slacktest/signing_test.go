package slacktest_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// verify checks req the way an HTTP-mode handler does with slack-go.
func verify(req *http.Request, secret string) error {
	v, err := slack.NewSecretsVerifier(req.Header, secret)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	_, _ = v.Write(body)
	return v.Ensure()
}

func TestSignature(t *testing.T) {
	// The example from Slack's "Verifying requests from Slack" guide.
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	got := slacktest.Signature(secret, time.Unix(1531420618, 0), body)
	if want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; got != want {
		t.Fatalf("Signature = %s, want %s", got, want)
	}
}

func TestSignRequest(t *testing.T) {
	cmd := slack.SlashCommand{Command: "/cake", Text: "orders 1h", UserID: alice.ID, UserName: "alice", ChannelID: "C0REQ", TriggerID: "1.2.3", ResponseURL: "http://127.0.0.1/r"}
	now := time.Now()

	t.Run("SlashCommand", func(t *testing.T) {
		req, err := slacktest.SignedRequest("http://bot.invalid/slack/commands", slacktest.SlashCommandForm(cmd), secret, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(req, secret); err != nil {
			t.Fatalf("verify: %v", err)
		}
		got, err := slack.SlashCommandParse(req)
		if err != nil || got != cmd {
			t.Fatalf("SlashCommandParse = %+v, %v; want %+v", got, err, cmd)
		}
	})

	t.Run("Interaction", func(t *testing.T) {
		body, err := slacktest.InteractionForm(slack.InteractionCallback{
			Type: slack.InteractionTypeBlockActions, User: slack.User{ID: bob.ID},
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "approve", Value: "r1"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := slacktest.SignedRequest("http://bot.invalid/slack/actions", body, secret, now)
		if err := verify(req, secret); err != nil {
			t.Fatalf("verify: %v", err)
		}
		cb, err := slack.InteractionCallbackParse(req)
		if err != nil || cb.User.ID != bob.ID || cb.ActionCallback.BlockActions[0].Value != "r1" {
			t.Fatalf("InteractionCallbackParse = %+v, %v", cb, err)
		}
	})

	t.Run("ErrWrongSecret", func(t *testing.T) {
		req, _ := slacktest.SignedRequest("http://bot.invalid/", slacktest.SlashCommandForm(cmd), "other", now)
		if err := verify(req, secret); !errors.Is(err, slack.ErrInvalidSignature) {
			t.Fatalf("got %v, want ErrInvalidSignature", err)
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		req, _ := slacktest.SignedRequest("http://bot.invalid/", slacktest.SlashCommandForm(cmd), secret, now.Add(-6*time.Minute))
		if err := verify(req, secret); !errors.Is(err, slack.ErrExpiredTimestamp) {
			t.Fatalf("got %v, want ErrExpiredTimestamp", err)
		}
	})
}
