package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// slackAckDeadline is how long Slack waits for an acknowledgement before it shows the user
// an error (or retries an event).
const slackAckDeadline = 3 * time.Second

// sendSigned posts body to path signed as Slack signs it, with extra headers, and returns
// the status and the answer's body.
func sendSigned(ctx context.Context, t *testing.T, s *sandbox, path string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := slacktest.SignedRequest(s.baseURL+path, body, sandboxSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// ackedSlash has user type /cakegate text and returns as soon as cakegate acknowledged it,
// failing the test unless that happens within Slack's 3 seconds. It returns the response
// URL the answer will go to.
func ackedSlash(ctx context.Context, t *testing.T, s *sandbox, user, text string) string {
	t.Helper()
	ackCtx, cancel := context.WithTimeout(ctx, slackAckDeadline)
	defer cancel()
	responseURL := s.slack.ResponseURLFor(sandboxChannel, user, "")
	sc := slack.SlashCommand{
		Command: "/cakegate", Text: text, UserID: user, ChannelID: sandboxChannel,
		ResponseURL: responseURL, TriggerID: s.slack.NewTriggerID(user), TeamID: slacktest.DefaultTeamID,
	}
	if s.socket {
		id, err := s.slack.SendSlashCommand(ackCtx, sc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.slack.WaitAck(ackCtx, id); err != nil {
			t.Fatalf("/cakegate %s not acknowledged in time: %v", text, err)
		}
		return responseURL
	}
	if err := s.post(ackCtx, "/slack/commands", slacktest.SlashCommandForm(sc)); err != nil {
		t.Fatalf("/cakegate %s not acknowledged in time: %v", text, err)
	}
	return responseURL
}

// ackedClick has user press a button on a message and returns as soon as cakegate
// acknowledged it, within Slack's 3 seconds. It returns the click's response URL.
func ackedClick(ctx context.Context, t *testing.T, s *sandbox, user string, m slacktest.Message, actionID string) string {
	t.Helper()
	ackCtx, cancel := context.WithTimeout(ctx, slackAckDeadline)
	defer cancel()
	cb, err := s.slack.ButtonClick(user, m.Channel, m.TS, actionID)
	if err != nil {
		t.Fatal(err)
	}
	if s.socket {
		id, err := s.slack.SendInteraction(ackCtx, cb)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.slack.WaitAck(ackCtx, id); err != nil {
			t.Fatalf("click on %s not acknowledged in time: %v", actionID, err)
		}
		return cb.ResponseURL
	}
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.post(ackCtx, "/slack/interactions", body); err != nil {
		t.Fatalf("click on %s not acknowledged in time: %v", actionID, err)
	}
	return cb.ResponseURL
}

// holdDatacake makes the fake Datacake keep every request waiting until the test releases
// it, and releases it at the end of the test at the latest (before the sandbox stops, which
// waits for work in flight).
func holdDatacake(t *testing.T, s *sandbox) {
	t.Helper()
	s.datacake.Hold()
	t.Cleanup(s.datacake.Release)
}

// requestState reads request id from the store.
func requestState(ctx context.Context, t *testing.T, s *sandbox, id commands.RequestID) *commands.Request {
	t.Helper()
	r, err := s.app.Store().Get(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return r
}

// pendingViewerRequest has alice ask for the viewer role and returns the approval message.
func pendingViewerRequest(ctx context.Context, t *testing.T, s *sandbox) slacktest.Message {
	t.Helper()
	answer, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 for=8h reason="read the boiler"`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "alice's confirmation", answer, "R1 is waiting for approval")
	msg, err := s.approvalMessage(ctx, "R1", func(text string) bool { return strings.Contains(text, "[Approve]") })
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func forBothTransports(t *testing.T, test func(t *testing.T, socket bool)) {
	t.Run("HTTP", func(t *testing.T) { test(t, false) })
	t.Run("SocketMode", func(t *testing.T) { test(t, true) })
}

// TestOversizedBodyIs413 sends every Slack endpoint a correctly signed body one byte over
// bot.MaxBodyBytes: each answers 413 and nothing happens.
func TestOversizedBodyIs413(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	sc := slackCommand(s, `request role=viewer devices=SN-1001 reason="`)
	form := slacktest.SlashCommandForm(sc)
	body := append(form, bytes.Repeat([]byte("x"), bot.MaxBodyBytes+1-len(form))...)
	if len(body) != bot.MaxBodyBytes+1 {
		t.Fatalf("body is %d bytes", len(body))
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		status, answer := sendSigned(ctx, t, s, path, body, nil)
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: got %d %q, want 413", path, status, answer)
		}
	}
	// Stop cakegate, so anything it had started is finished before counting.
	if err := s.stopApp(); err != nil {
		t.Fatal(err)
	}
	if calls := s.slackCallsButHealthChecks(); len(calls) != 0 {
		t.Fatalf("oversized requests made %d Slack calls, first %s", len(calls), calls[0].Method)
	}
	if posts := s.slack.ResponseURLPosts(sc.ResponseURL); len(posts) != 0 {
		t.Fatalf("oversized request answered through response_url: %+v", posts)
	}
	for _, op := range []string{"Devices", "DeviceBySerial", "SearchDevices", "DeviceTags"} {
		if n := s.datacake.CallCount(op); n != 0 {
			t.Fatalf("oversized request made %d Datacake device look-ups (%s)", n, op)
		}
	}
}

// TestURLVerificationEchoesChallenge is Slack's check of the events Request URL.
func TestURLVerificationEchoesChallenge(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	body := []byte(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	status, answer := sendSigned(ctx, t, s, "/slack/events", body, http.Header{"Content-Type": {"application/json"}})
	if status != http.StatusOK || answer != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("got %d %q, want 200 with the challenge", status, answer)
	}
}

// TestHealthAndReadiness: both checks answer 200 while cakegate runs, without a signature.
func TestHealthAndReadiness(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.baseURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s, want 200", path, resp.Status)
		}
	}
}

// TestEventRetryHandledOnce delivers app_home_opened, then Slack's retry of it (same
// event_id): the Home tab is published once. A second, different event is still handled,
// which also proves the retry had its chance to do harm before counting.
func TestEventRetryHandledOnce(t *testing.T) {
	forBothTransports(t, func(t *testing.T, socket bool) {
		s := startSandbox(t, sandboxOptions{socketMode: socket})
		ctx := testContext(t)
		homeOpened := func(user string) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"type":"app_home_opened","user":%q,"channel":%q,"tab":"home","event_ts":"1764234000.000100"}`, user, slacktest.DMChannel(user)))
		}
		if socket {
			first, err := s.slack.SendEvent(ctx, homeOpened(sandboxAlice))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.slack.WaitAck(ctx, first); err != nil {
				t.Fatal(err)
			}
			retry, err := s.slack.RedeliverEvent(ctx, first, "timeout")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.slack.WaitAck(ctx, retry); err != nil {
				t.Fatal(err)
			}
			other, err := s.slack.SendEvent(ctx, homeOpened(sandboxBob))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.slack.WaitAck(ctx, other); err != nil {
				t.Fatal(err)
			}
		} else {
			body, err := s.slack.EventCallback(homeOpened(sandboxAlice))
			if err != nil {
				t.Fatal(err)
			}
			if status, answer := sendSigned(ctx, t, s, "/slack/events", body, nil); status != http.StatusOK {
				t.Fatalf("event: %d %q", status, answer)
			}
			retry := http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}}
			if status, answer := sendSigned(ctx, t, s, "/slack/events", body, retry); status != http.StatusOK {
				t.Fatalf("retried event: %d %q, want 200 (or Slack retries again)", status, answer)
			}
			other, err := s.slack.EventCallback(homeOpened(sandboxBob))
			if err != nil {
				t.Fatal(err)
			}
			if status, answer := sendSigned(ctx, t, s, "/slack/events", other, nil); status != http.StatusOK {
				t.Fatalf("second event: %d %q", status, answer)
			}
		}
		// Bob's event came after the retry, on the same ordered path: once his Home tab is
		// published, the retry has been dealt with. Stopping cakegate waits for the rest.
		if _, err := s.slack.WaitForCall(ctx, "views.publish", func(c slacktest.Call) bool { return c.Params["user_id"] == sandboxBob }); err != nil {
			t.Fatal(err)
		}
		if err := s.stopApp(); err != nil {
			t.Fatal(err)
		}
		perUser := map[string]int{}
		for _, c := range s.slack.CallsTo("views.publish") {
			perUser[c.Params["user_id"]]++
		}
		if perUser[sandboxAlice] != 1 || perUser[sandboxBob] != 1 {
			t.Fatalf("views.publish per user %v, want alice 1 (event and its retry) and bob 1", perUser)
		}
	})
}

// TestAckBeforeDatacake holds every Datacake answer: a slash command and an approve click
// are still acknowledged within Slack's 3 seconds, with the Datacake call they caused
// already waiting; once Datacake answers, the work completes.
func TestAckBeforeDatacake(t *testing.T) {
	forBothTransports(t, func(t *testing.T, socket bool) {
		t.Run("SlashRequest", func(t *testing.T) {
			s := startSandbox(t, sandboxOptions{socketMode: socket})
			ctx := testContext(t)
			holdDatacake(t, s)

			responseURL := ackedSlash(ctx, t, s, sandboxAlice, `request role=viewer devices=SN-1001 for=8h reason="read the boiler"`)
			// The device look-up the request needs is waiting at Datacake, after the ack.
			if err := s.datacake.WaitHeld(ctx, "DeviceBySerial"); err != nil {
				t.Fatalf("no device look-up reached Datacake: %v", err)
			}
			if posts := s.slack.ResponseURLPosts(responseURL); len(posts) != 0 {
				t.Fatalf("answered before Datacake did: %+v", posts)
			}

			s.datacake.Release()
			answer, err := s.answer(ctx, responseURL)
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, "confirmation", answer, "R1 is waiting for approval")
			if _, err := s.approvalMessage(ctx, "R1", nil); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("RevealClick", func(t *testing.T) {
			s := startSandbox(t, sandboxOptions{socketMode: socket})
			ctx := testContext(t)
			reveal := approvedViewerRequest(ctx, t, s)
			holdDatacake(t, s)

			ackedClick(ctx, t, s, sandboxAlice, reveal, bot.ActionReveal)
			if err := s.datacake.WaitHeld(ctx, "NewApiUser"); err != nil {
				t.Fatalf("the create did not reach Datacake: %v", err)
			}
			// The modal is open before Datacake answers: the trigger id lives 3 seconds.
			opens := s.slack.CallsTo("views.open")
			if len(opens) != 1 || !opens[0].OK() || !strings.Contains(string(opens[0].Blocks), "Creating your token") {
				t.Fatalf("views.open before the create: %+v", opens)
			}

			s.datacake.Release()
			if _, err := s.tokenView(ctx, sandboxAlice, 1); err != nil {
				t.Fatal(err)
			}
			if users := s.datacake.APIUsers(sandboxWorkspace); len(users) != 1 {
				t.Fatalf("%d API users, want 1", len(users))
			}
		})
	})
}

// approvedViewerRequest has alice ask for the viewer role and ann approve it, and returns
// the direct message with alice's Reveal token button.
func approvedViewerRequest(ctx context.Context, t *testing.T, s *sandbox) slacktest.Message {
	t.Helper()
	msg := pendingViewerRequest(ctx, t, s)
	if answer, err := s.click(ctx, sandboxAnn, msg.Channel, msg.TS, bot.ActionApprove); err != nil || !strings.Contains(answer, "You approved R1") {
		t.Fatalf("approve: %q %v", answer, err)
	}
	m, err := s.revealDM(ctx, sandboxAlice, "R1")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestErrorsAnsweredPrivately: refused and malformed commands are answered to their user
// alone, through the response URL, and change nothing.
func TestErrorsAnsweredPrivately(t *testing.T) {
	forBothTransports(t, func(t *testing.T, socket bool) {
		s := startSandbox(t, sandboxOptions{socketMode: socket})
		ctx := testContext(t)
		tests := []struct {
			name, text string
			want       []string
		}{
			{"NoSuchRequest", "approve R99", []string{"no request R99"}},
			{"UnknownCommand", "frobnicate", []string{`unknown command "frobnicate"`, "/cakegate request", "/cakegate approve"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				responseURL := ackedSlash(ctx, t, s, sandboxAnn, tt.text)
				answer, err := s.answer(ctx, responseURL)
				if err != nil {
					t.Fatal(err)
				}
				mustContain(t, "answer", answer, tt.want...)
				post := s.slack.ResponseURLPosts(responseURL)[0]
				if post.ResponseType != "ephemeral" || post.ReplaceOriginal {
					t.Fatalf("answer posted as %q (replace_original %v), want ephemeral", post.ResponseType, post.ReplaceOriginal)
				}
				if !slices.ContainsFunc(s.slack.Ephemerals(sandboxAnn), func(e slacktest.Ephemeral) bool { return strings.Contains(e.Text, tt.want[0]) }) {
					t.Fatalf("ann was not shown the answer privately: %+v", s.slack.Ephemerals(sandboxAnn))
				}
			})
		}
		if msgs := s.slack.Messages(sandboxChannel); len(msgs) != 0 {
			t.Fatalf("%d messages in the channel, want none", len(msgs))
		}
		if rs, err := s.app.Store().InState(ctx, commands.StatePending); err != nil || len(rs) != 0 {
			t.Fatalf("pending requests %v (%v), want none", rs, err)
		}
	})
}

// TestCreateFailureToldPrivately: when Datacake fails the create, the requester is told in
// the modal their Reveal click opened, the request ends failed, the approvers' message says
// so, and no API user is left in Datacake, even when the create had in fact happened.
func TestCreateFailureToldPrivately(t *testing.T) {
	tests := []struct {
		name   string
		inject func(s *sandbox) // with the create held at Datacake's door
	}{
		{"HTTP500", func(s *sandbox) { s.datacake.FailNext(1, http.StatusInternalServerError) }},
		{"DroppedAfterCommit", func(s *sandbox) { s.datacake.DropAfterCommitNext() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSandbox(t, sandboxOptions{})
			ctx := testContext(t)
			reveal := approvedViewerRequest(ctx, t, s)

			// Let the sweeps cakegate runs at start (reconcile lists the API users) end, and
			// hold the create at the door, so that the fault hits it and nothing else.
			if err := s.datacake.WaitAnswered(ctx, "WorkspaceApiUsers", 1); err != nil {
				t.Fatal(err)
			}
			holdDatacake(t, s)
			ackedClick(ctx, t, s, sandboxAlice, reveal, bot.ActionReveal)
			if err := s.datacake.WaitHeld(ctx, "NewApiUser"); err != nil {
				t.Fatal(err)
			}
			if held := s.datacake.Held(); !slices.Equal(held, []string{"NewApiUser"}) {
				t.Fatalf("held %q, want only the create", held)
			}
			tt.inject(s)
			s.datacake.Release()

			if _, err := s.slack.WaitForCall(ctx, "views.update", func(c slacktest.Call) bool {
				return strings.Contains(string(c.Blocks), "could not create the API user")
			}); err != nil {
				t.Fatalf("alice's modal does not say what happened: %v", err)
			}
			if _, err := s.dm(ctx, sandboxAlice, func(text string) bool { return strings.Contains(text, "R1 was approved but could not be completed") }); err != nil {
				t.Fatal(err)
			}
			r := requestState(ctx, t, s, 1)
			if r.State != commands.StateFailed || !strings.Contains(r.FailureReason, "could not create the API user") {
				t.Fatalf("R1 is %s (%q), want failed with the reason", r.State, r.FailureReason)
			}
			if users := s.datacake.APIUsers(sandboxWorkspace); len(users) != 0 {
				t.Fatalf("API users left in Datacake: %+v", users)
			}
			if _, err := s.approvalMessage(ctx, "R1", func(text string) bool { return strings.Contains(text, "Failed") }); err != nil {
				t.Fatalf("the approval message does not say it failed: %v", err)
			}
		})
	}
}

// TestTokenNotShownDeletesAPIUser: when the modal cannot show the token (views.update is
// refused or its answer lost, the trigger id expired before views.open), no token that
// nobody saw is left: the API user is deleted or never made, the request is approved again
// and the Reveal button works on the next click. The token appears in no other Slack call
// and no log line.
func TestTokenNotShownDeletesAPIUser(t *testing.T) {
	faults := []struct {
		name    string
		inject  func(s *slacktest.Server)
		created int // API users created (and deleted) by the failed click
	}{
		{"UpdateRefused", func(s *slacktest.Server) { s.FailNext("views.update", 1, "not_found") }, 1},
		{"TriggerExpired", func(s *slacktest.Server) { s.FailNext("views.open", 1, "expired_trigger_id") }, 0},
	}
	forBothTransports(t, func(t *testing.T, socket bool) {
		for _, tt := range faults {
			t.Run(tt.name, func(t *testing.T) {
				logs := &apptest.SyncBuffer{}
				s := startSandbox(t, sandboxOptions{socketMode: socket, log: logs})
				ctx := testContext(t)
				reveal := approvedViewerRequest(ctx, t, s)
				tt.inject(s.slack)

				responseURL := ackedClick(ctx, t, s, sandboxAlice, reveal, bot.ActionReveal)
				if tt.created == 0 {
					answer, err := s.answer(ctx, responseURL)
					if err != nil {
						t.Fatal(err)
					}
					mustContain(t, "alice's answer", answer, "click *Reveal token* again")
				} else if _, err := s.dm(ctx, sandboxAlice, func(text string) bool { return strings.Contains(text, "was deleted before you could see it") }); err != nil {
					t.Fatal(err)
				}
				if users := s.datacake.APIUsers(sandboxWorkspace); len(users) != 0 {
					t.Fatalf("API users left in Datacake: %+v", users)
				}
				deleted := s.datacake.DeletedAPIUsers()
				if len(deleted) != tt.created {
					t.Fatalf("deleted API users %+v, want %d", deleted, tt.created)
				}
				if r := requestState(ctx, t, s, 1); r.State != commands.StateApproved {
					t.Fatalf("R1 is %s, want approved again", r.State)
				}

				// The Reveal button works again.
				if _, err := s.sendClick(ctx, sandboxAlice, reveal.Channel, reveal.TS, bot.ActionReveal); err != nil {
					t.Fatal(err)
				}
				if _, err := s.tokenView(ctx, sandboxAlice, 1); err != nil {
					t.Fatal(err)
				}
				users := s.datacake.APIUsers(sandboxWorkspace)
				if len(users) != 1 {
					t.Fatalf("%d API users after revealing again, want 1", len(users))
				}

				if err := s.stopApp(); err != nil {
					t.Fatal(err)
				}
				tokens := []string{users[0].Token}
				for _, d := range deleted {
					tokens = append(tokens, d.Token)
				}
				for _, token := range tokens {
					for _, c := range s.slack.Calls() {
						if c.Method == "views.update" && !c.OK() {
							continue // the refused update itself
						}
						if c.Method == "views.update" {
							if v, ok := s.slack.View(c.Params["view_id"]); ok && v.User == sandboxAlice {
								continue
							}
						}
						params, _ := json.Marshal(c.Params)
						mustNotContain(t, "Slack call "+c.Method, string(params)+string(c.Blocks), token)
					}
					for _, p := range s.slack.AllResponseURLPosts() {
						mustNotContain(t, "response_url post", string(p.Body), token)
					}
					mustNotContain(t, "logs", logs.String(), token)
				}
			})
		}
	})
}
