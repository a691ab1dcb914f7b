package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestSlackRefusal(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"InvalidAuth", slack.SlackErrorResponse{Err: "invalid_auth"}, "invalid_auth"},
		{"TokenRevoked", fmt.Errorf("auth.test: %w", slack.SlackErrorResponse{Err: "token_revoked"}), "token_revoked"},
		{"AccountInactive", slack.SlackErrorResponse{Err: "account_inactive"}, "account_inactive"},
		{"NotAuthed", errors.New("not_authed"), "not_authed"},
		{"RateLimited", &slack.RateLimitedError{}, ""},
		{"ServerError", slack.StatusCodeError{Code: 500, Status: "500 Internal Server Error"}, ""},
		{"OtherAnswer", slack.SlackErrorResponse{Err: "fatal_error"}, ""},
		{"Network", errors.New("dial tcp: connection refused"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := slackRefusal(tc.err); got != tc.want {
				t.Errorf("slackRefusal(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestHealthNamesWhatIsNotReady(t *testing.T) {
	h := newHealth()
	if err := h.err(); err == nil || err.Error() != "database: not checked yet\nslack: not checked yet\ndatacake: not checked yet" {
		t.Fatalf("before any check: %v", err)
	}
	select {
	case <-h.ready:
		t.Fatal("ready before any check")
	default:
	}
	h.set("database", nil)
	h.set("datacake", nil)
	if changed := h.set("slack", errors.New("Slack did not answer")); !changed {
		t.Error("a new problem is not a change")
	}
	if changed := h.set("slack", errors.New("Slack did not answer")); changed {
		t.Error("the same problem again counts as a change: it would be logged each retry")
	}
	if err := h.err(); err == nil || err.Error() != "slack: Slack did not answer" {
		t.Fatalf("with Slack down: %v", err)
	}
	h.set("slack", nil)
	if err := h.err(); err != nil {
		t.Fatalf("all well: %v", err)
	}
	select {
	case <-h.ready:
	default:
		t.Fatal("not ready although every dependency checked out")
	}
	h.set("datacake", errors.New("Datacake at x does not answer"))
	if err := h.err(); err == nil || !strings.HasPrefix(err.Error(), "datacake: ") {
		t.Fatalf("Datacake down after start: %v", err)
	}
}
