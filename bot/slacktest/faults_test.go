package slacktest_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestFailNext(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	srv.FailNext("chat.postMessage", 2, "internal_error")
	for i := range 2 {
		if _, _, err := api.PostMessage("C0X", slack.MsgOptionText("x", false)); slackErr(err) != "internal_error" {
			t.Fatalf("call %d: got %v, want internal_error", i, err)
		}
	}
	if _, _, err := api.PostMessage("C0X", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if got := len(srv.Messages("C0X")); got != 1 {
		t.Fatalf("%d messages stored, want 1: failed calls do nothing", got)
	}
}

func TestRateLimitNext(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	srv.RateLimitNext("chat.update", 1, 1500*time.Millisecond)
	_, _, _, err := api.UpdateMessage("C0X", "1.1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		t.Fatalf("got %T %v, want *slack.RateLimitedError", err, err)
	}
	if rl.RetryAfter != 2*time.Second {
		t.Fatalf("RetryAfter %v, want 2s (whole seconds, rounded up)", rl.RetryAfter)
	}
	if c := srv.CallsTo("chat.update"); c[0].Error != "ratelimited" {
		t.Fatalf("recorded %+v", c[0])
	}
	// The next call is served again.
	if _, _, _, err := api.UpdateMessage("C0X", "1.1", slack.MsgOptionText("x", false)); slackErr(err) != "message_not_found" {
		t.Fatalf("after the fault: %v", err)
	}
}

// The …In faults meet only the calls about their conversation; others pass them by.
func TestFaultsInOneConversation(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	srv.Fail5xxNextIn("chat.postMessage", "C0B", 1)
	srv.RateLimitNextIn("conversations.open", alice.ID, 1, time.Second)
	if _, _, err := api.PostMessage("C0A", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("another channel met the fault: %v", err)
	}
	var sc slack.StatusCodeError
	if _, _, err := api.PostMessage("C0B", slack.MsgOptionText("x", false)); !errors.As(err, &sc) {
		t.Fatalf("got %v, want the 500", err)
	}
	if _, _, err := api.PostMessage("C0B", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("the fault was not used up: %v", err)
	}
	var rl *slack.RateLimitedError
	if _, _, _, err := api.OpenConversation(&slack.OpenConversationParameters{Users: []string{alice.ID}}); !errors.As(err, &rl) {
		t.Fatalf("got %v, want the 429 for alice", err)
	}
}

func TestFail5xxNext(t *testing.T) {
	srv := mustStart(t)
	srv.Fail5xxNext("views.publish", 1)
	_, err := client(srv).PublishView(alice.ID, slack.HomeTabViewRequest{Type: slack.VTHomeTab}, "")
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusInternalServerError {
		t.Fatalf("got %T %v, want slack.StatusCodeError 500", err, err)
	}
	if _, found := srv.HomeTab(alice.ID); found {
		t.Fatal("a failed publish was stored")
	}
}
