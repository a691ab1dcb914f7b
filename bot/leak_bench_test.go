package bot_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// leakBurst is how many message events arrive at once in one round.
const leakBurst = 1000

// leakLiveGrants is how many live grants the store holds: what each reload reads.
const leakLiveGrants = 1000

const leakSecret = "leak-bench-signing-secret"

// BenchmarkLeakScanBurst sends leakBurst message events without a live token at once to
// the events endpoint, just as the fingerprints of live tokens are due for a reload (the
// last one LeakReloadEvery ago), and measures what the burst costs: the reloads of the
// fingerprints it makes (reloads/round; one at most), and how long each event waits for its
// acknowledgement (p50, p99, max; Slack gives up at 3 s). The leak scan runs before the
// acknowledgement, so both are in the acknowledgement's path.
//
// One op is one round. The messages are plain text, rich text, a bot's blocks and
// attachments, forwarded messages and snippets; one in four holds a 40-hex commit id, which
// is token-like but matches none of the leakLiveGrants live tokens. The store is the
// in-memory fake; the clock is a manual one, moved on by LeakReloadEvery before each round.
//
//	go test -run '^$' -bench LeakScanBurst -benchtime 10x ./bot/
func BenchmarkLeakScanBurst(b *testing.B) {
	fake := slacktest.New()
	fake.Start()
	b.Cleanup(fake.Close)
	store := &loadCounter{Store: commandstest.NewStore()}
	for i := range leakLiveGrants {
		r := &commands.Request{
			Requester: fmt.Sprintf("U0USER%04d", i), Workspace: "ws-leak-bench", Role: "viewer", State: commands.StateActive,
			Grant: &commands.Grant{APIUserID: fmt.Sprintf("api-%d", i), ExpiresAt: time.Now().Add(time.Hour), Fingerprint: commands.Fingerprint(randomHex(b))},
		}
		if err := store.Create(context.Background(), r, commands.Change{}, commands.CreateRules{}); err != nil {
			b.Fatal(err)
		}
	}
	clock := commandstest.NewClock(time.Now())
	svc := &commands.Service{Policy: ackPolicy(), Store: store, Clock: clock}
	cakegate := bot.New(bot.Config{
		Service:       svc,
		Slack:         slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		SigningSecret: leakSecret,
		Requests:      store,
		Outbox:        store,
	})
	srv := httptest.NewServer(cakegate.Handler(nil))
	b.Cleanup(func() {
		srv.Close()
		cakegate.Shutdown(context.Background())
	})
	transport := &http.Transport{MaxIdleConns: 2 * leakBurst, MaxIdleConnsPerHost: 2 * leakBurst, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	// The warm-up round opens the connections, and loads the fingerprints the first time.
	leakRound(b, client, fake, srv.URL, false)
	var latencies []time.Duration
	var reloads []int64
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		clock.Advance(commands.LeakReloadEvery)
		before := store.loads.Load()
		latencies = append(latencies, leakRound(b, client, fake, srv.URL, true)...)
		reloads = append(reloads, store.loads.Load()-before)
	}
	var total int64
	for _, n := range reloads {
		total += n
	}
	b.ReportMetric(float64(total)/float64(len(reloads)), "reloads/round")
	b.ReportMetric(float64(slices.Max(reloads)), "max-reloads/round")
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "ack-p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "ack-p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "ack-max-ms")
	if m := slices.Max(reloads); m > 1 {
		b.Errorf("a burst of %d messages made %d reloads of the fingerprints, want 1 at most", leakBurst, m)
	}
	if p99 := pct(0.99); p99 >= 3*time.Second {
		b.Errorf("p99 acknowledgement %v, want well within Slack's 3 s", p99)
	}
}

// loadCounter counts the loads of the fingerprints: each reads the active grants once.
type loadCounter struct {
	*commandstest.Store
	loads atomic.Int64
}

func (s *loadCounter) InState(ctx context.Context, st commands.State) ([]*commands.Request, error) {
	if st == commands.StateActive {
		s.loads.Add(1)
	}
	return s.Store.InState(ctx, st)
}

// leakRound fires leakBurst signed message events at the events endpoint of base at once,
// and returns how long each waited for its acknowledgement. With timed, the benchmark clock
// runs from the release to the last acknowledgement.
func leakRound(b *testing.B, client *http.Client, fake *slacktest.Server, base string, timed bool) []time.Duration {
	b.Helper()
	reqs := make([]*http.Request, leakBurst)
	for i := range reqs {
		body, err := fake.EventCallback(leakBenchMessage(b, i))
		if err != nil {
			b.Fatal(err)
		}
		if reqs[i], err = slacktest.SignedRequest(base+"/slack/events", body, leakSecret, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	got, errs := sendAtOnce(b, client, reqs, timed)
	for _, err := range errs {
		if err != nil {
			b.Fatalf("message event: %v", err)
		}
	}
	return got
}

// leakBenchMessage is the i-th message event of a round: one of several shapes, and in one
// case of four with a fresh 40-hex commit id in it.
func leakBenchMessage(b *testing.B, i int) json.RawMessage {
	text := "the build is green again"
	if i%4 == 0 {
		text = "fixed in " + randomHex(b)
	}
	ts := fmt.Sprintf("1700000000.%06d", i)
	var ev map[string]any
	switch i % 5 {
	case 0:
		ev = map[string]any{"type": "message", "user": "U0ALICE", "text": text}
	case 1:
		ev = map[string]any{"type": "message", "user": "U0ALICE", "text": text, "blocks": []any{map[string]any{
			"type": "rich_text", "elements": []any{map[string]any{"type": "rich_text_section", "elements": []any{
				map[string]any{"type": "text", "text": text}, map[string]any{"type": "link", "url": "https://ci.example.com/runs/" + fmt.Sprint(i)},
			}}},
		}}}
	case 2:
		ev = map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B0CI", "text": "CI", "attachments": []any{map[string]any{
			"fallback": "CI", "pretext": "CI", "fields": []any{map[string]any{"title": "Result", "value": text}},
		}}}
	case 3:
		ev = map[string]any{"type": "message", "user": "U0BOB", "text": "", "attachments": []any{map[string]any{
			"is_share": true, "text": text, "fallback": text, "author_icon": "https://secure.gravatar.com/avatar/" + randomHex(b)[:32] + ".jpg",
		}}}
	default:
		ev = map[string]any{"type": "message", "subtype": "file_share", "user": "U0ALICE", "text": "", "files": []any{map[string]any{
			"id": "F0SNIP", "name": "log.txt", "title": "log.txt", "mode": "snippet", "preview": text,
		}}}
	}
	ev["channel"], ev["ts"], ev["channel_type"] = "C0GENERAL", ts, "channel"
	raw, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// randomHex is 40 random hex characters: the shape of a Datacake token, or a commit id.
func randomHex(tb testing.TB) string {
	buf := make([]byte, 20)
	if _, err := rand.Read(buf); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(buf)
}
