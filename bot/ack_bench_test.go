package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// ackBurst is how many signed slash commands arrive at once in one round.
const ackBurst = 500

const ackSecret = "ack-bench-signing-secret"

// BenchmarkAckLatency measures how long a signed slash command waits for its
// acknowledgement when ackBurst of them arrive at once, against a bare net/http handler
// (read the body, answer 200) measured in the same run with the same client and the same
// requests. The design target is a p99 within 2× of the bare handler's.
//
// One op is one round: ackBurst goroutines, released together, each send one request over a
// shared keep-alive transport to a loopback httptest server and time it until the answer's
// body is read. cakegate's handler reads the body, checks the signature, parses the
// command, starts the work (here `help`, answered through a slacktest response_url) and
// acknowledges; that work runs beside the later acknowledgements of the same round and is
// finished, with the clock stopped, before the next round starts.
//
// "bare" measures the bare handler alone. "cakegate" measures cakegate and, after each of
// its rounds and with the clock stopped, runs a round against a bare handler as the
// reference for its p99 ratio: the two alternate, so a machine whose load changes during
// the run (a shared CI runner) moves both alike.
func BenchmarkAckLatency(b *testing.B) {
	// One transport for every server, with an idle connection for each request of a burst.
	transport := &http.Transport{MaxIdleConns: 4 * ackBurst, MaxIdleConnsPerHost: 2 * ackBurst, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	b.Run("bare", func(b *testing.B) {
		fake := ackFakeSlack(b) // only mints response URLs, so the requests are cakegate's
		lat := ackRun(b, client, fake, ackTarget{url: ackBareServer(b).URL})
		ackReport(b, lat[0], "")
	})
	for _, command := range []string{"help", "request"} {
		b.Run("cakegate-"+command, func(b *testing.B) { benchmarkAck(b, client, ackCommands[command]) })
	}
}

// ackCommands are the commands a round sends: help answers at once; request checks the
// role and the device, stores the request under the per-requester cap, queues the approval
// message and answers.
var ackCommands = map[string]string{
	"help":    "help",
	"request": `request role=viewer devices=SN-1 for=1h reason="ack bench"`,
}

// benchmarkAck measures cakegate's acknowledgements of text, alternating with a bare
// handler's (see BenchmarkAckLatency).
func benchmarkAck(b *testing.B, client *http.Client, text string) {
	fake := ackFakeSlack(b)
	srv, replies, store := ackCakegate(b, fake)
	// Slack's side of a reply runs on Slack's machines, not beside cakegate: the replies
	// go to a bare handler, so the fake's own checks do not compete for the two cores
	// with the acknowledgements being measured.
	cakegate := ackTarget{url: srv.URL, text: text, replyURL: ackReplyServer(b).URL + "/response", settle: func() {
		// The work acknowledged in a round ends with one reply per command.
		replies.wait(b, ackBurst)
	}}
	lat := ackRun(b, client, fake, cakegate, ackTarget{url: ackBareServer(b).URL})
	if strings.HasPrefix(text, "request") {
		// Each command made a request (and was not refused), warm-up round included.
		pending, err := store.InState(context.Background(), commands.StatePending)
		if want := (b.N + 1) * ackBurst; err != nil || len(pending) != want {
			b.Fatalf("%d pending requests (%v) after %d rounds of %d, want %d", len(pending), err, b.N+1, ackBurst, want)
		}
	}
	p99 := ackReport(b, lat[0], "")
	bareP99 := ackReport(b, lat[1], "bare-")
	b.ReportMetric(float64(p99)/float64(bareP99), "p99/bare-p99")
}

// ackTarget is a server a round is sent to, and what to wait for after a round.
type ackTarget struct {
	url      string
	text     string // the command's text; "": help
	replyURL string // the response_url of every command; "": a fresh one of the fake each
	settle   func() // nil: nothing
}

// ackRun sends a warm-up round (not counted: it opens the connections) to each target, and
// then b.N rounds to each target in turn, timing the rounds of the first. It returns each
// target's latencies.
func ackRun(b *testing.B, client *http.Client, fake *slacktest.Server, targets ...ackTarget) [][]time.Duration {
	b.Helper()
	b.StopTimer()
	for _, t := range targets {
		ackRound(b, client, fake, t, false)
	}
	b.ResetTimer()
	b.StopTimer()
	out := make([][]time.Duration, len(targets))
	for range b.N {
		for i, t := range targets {
			out[i] = append(out[i], ackRound(b, client, fake, t, i == 0)...)
		}
	}
	return out
}

// ackRound fires ackBurst signed commands at t at once and returns how long each waited for
// its answer. With timed, the benchmark clock runs from the release to the last answer.
func ackRound(b *testing.B, client *http.Client, fake *slacktest.Server, t ackTarget, timed bool) []time.Duration {
	b.Helper()
	reqs := make([]*http.Request, ackBurst)
	for i := range reqs {
		responseURL := t.replyURL
		if responseURL == "" {
			responseURL = fake.NewResponseURL()
		}
		reqs[i] = ackSignedCommand(b, t.url, responseURL, t.text)
	}
	got, errs := sendAtOnce(b, client, reqs, timed)
	for _, err := range errs {
		if err != nil {
			b.Fatalf("slash command to %s: %v", t.url, err)
		}
	}
	if t.settle != nil {
		t.settle()
	}
	return got
}

// sendAtOnce sends every request at once (slacktest.SendAtOnce). With timed, the
// benchmark's timer runs while they are in flight.
func sendAtOnce(b *testing.B, client *http.Client, reqs []*http.Request, timed bool) ([]time.Duration, []error) {
	var released func()
	if timed {
		released = b.StartTimer
	}
	got, errs := slacktest.SendAtOnce(client, reqs, released)
	if timed {
		b.StopTimer()
	}
	return got, errs
}

// ackReport reports the p50 and p99 of latencies as prefix+"p50-µs" and prefix+"p99-µs",
// and returns the p99.
func ackReport(b *testing.B, latencies []time.Duration, prefix string) time.Duration {
	slices.Sort(latencies)
	p50 := latencies[len(latencies)*50/100]
	p99 := latencies[len(latencies)*99/100]
	b.ReportMetric(float64(p50.Microseconds()), prefix+"p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), prefix+"p99-µs")
	return p99
}

// ackFakeSlack starts a fake Slack that is closed when b ends.
func ackFakeSlack(b *testing.B) *slacktest.Server {
	fake := slacktest.New()
	fake.Start()
	b.Cleanup(fake.Close)
	return fake
}

// ackBareServer serves the baseline: a handler that reads the body and answers 200.
func ackBareServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// ackReplyServer stands in for Slack's response_url endpoint: it reads the reply and
// accepts it as Slack does, and nothing more.
func ackReplyServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// ackCakegate serves a real Bot, over the in-memory store, whose Slack is fake. The server and
// the bot are stopped when b ends.
func ackCakegate(b *testing.B, fake *slacktest.Server) (*httptest.Server, *ackCountingTransport, *commandstest.Store) {
	store := commandstest.NewStore()
	svc := &commands.Service{Policy: ackPolicy(), Store: store, Clock: commands.SystemClock{}, Devices: ackDevices{}}
	replies := newAckCountingTransport()
	cakegate := bot.New(bot.Config{
		Service:       svc,
		Slack:         slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		SigningSecret: ackSecret,
		Requests:      store,
		Outbox:        store,
		// Like the default client (10 s timeout), but keeping enough idle connections for
		// the 64 workers, so that the replies do not open a connection each.
		HTTPClient: &http.Client{Transport: replies, Timeout: 10 * time.Second},
	})
	svc.Groups = cakegate
	srv := httptest.NewServer(cakegate.Handler(nil))
	b.Cleanup(func() {
		srv.Close()
		cakegate.Shutdown(context.Background())
	})
	return srv, replies, store
}

// ackCommandSeq makes each command's trigger id and requester its own: the same command
// signed twice in one second would otherwise be the same request, dropped as a replay, and
// one person's sixth request would meet the open-requests cap.
var ackCommandSeq atomic.Int64

// ackSignedCommand builds `/cakegate text` (help if text is "") from a new user with
// responseURL, signed as Slack signs it.
func ackSignedCommand(tb testing.TB, base, responseURL, text string) *http.Request {
	tb.Helper()
	if text == "" {
		text = "help"
	}
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command:     "/cakegate",
		Text:        text,
		UserID:      fmt.Sprintf("U0USER%07d", ackCommandSeq.Add(1)), // a request each, under no one's cap
		ChannelID:   "C0GENERAL",
		TeamID:      slacktest.DefaultTeamID,
		ResponseURL: responseURL,
		TriggerID:   fmt.Sprintf("ack.%d", ackCommandSeq.Add(1)),
	})
	req, err := slacktest.SignedRequest(base+"/slack/commands", body, ackSecret, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// ackDevices is a workspace of one device, SN-1.
type ackDevices struct{}

func (ackDevices) Devices(context.Context, string) ([]commands.Device, error) {
	return []commands.Device{{ID: "dev-1", Name: "Boiler room", Serial: "SN-1"}}, nil
}

// ackPolicy is a one-role policy; `help` reads none of it, `request` asks for its role.
func ackPolicy() *commands.Policy {
	return &commands.Policy{
		Workspace:        "ws-ack-bench",
		ApprovalsChannel: "C0APPROVALS",
		Approvers:        []string{"U0APPROVER"},
		AllRequesters:    true,
		Location:         time.UTC,
		Reminders:        []time.Duration{24 * time.Hour, time.Hour},
		PendingTimeout:   48 * time.Hour,
		RoleOrder:        []string{"viewer"},
		Roles: map[string]*commands.Role{
			"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true},
				MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1},
		},
		Orphans: commands.OrphansDelete,
	}
}

// ackCountingTransport passes on the bot's replies and signals each one the fake accepted
// (it answers {"ok":true}), so a round can wait for the work it acknowledged.
type ackCountingTransport struct {
	next     http.RoundTripper
	accepted chan struct{}
}

func newAckCountingTransport() *ackCountingTransport {
	return &ackCountingTransport{
		next:     &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128},
		accepted: make(chan struct{}, 2*ackBurst),
	}
}

func (t *ackCountingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"ok":true`)) {
		t.accepted <- struct{}{}
	}
	return resp, nil
}

// wait waits for n more accepted replies.
func (t *ackCountingTransport) wait(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for i := range n {
		select {
		case <-t.accepted:
		case <-deadline.C:
			tb.Fatalf("only %d of %d replies were posted and accepted within 30 s", i, n)
		}
	}
}
