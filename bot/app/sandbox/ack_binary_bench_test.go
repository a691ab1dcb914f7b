package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// ackBinaryBurst is how many signed slash commands arrive at once in one round: issue 27's
// bursts of 300.
const ackBinaryBurst = 300

// bareHandlerEnv makes this test binary, started again as a child, serve the bare handler
// (see TestMain) instead of running tests.
const bareHandlerEnv = "CAKEGATE_BENCH_BARE_HANDLER"

// BenchmarkAckLatencyBinary measures, from outside, how long `/cakegate request` waits for
// its acknowledgement from the built binary (`cakegate serve`, HTTP mode, bbolt with fsync,
// fake Slack and Datacake on loopback) when ackBinaryBurst of them arrive at once, against a
// bare net/http handler (read the body, answer 200) that runs in a process of its own, as
// cakegate does.
//
// One op is one round to cakegate, then, with the clock stopped, one round to the bare
// handler: the two alternate, so a change of load on the machine moves both alike, and the
// reported p99/bare-p99 is the median of the rounds' ratios. Each request comes from its own
// person, so no cap refuses one; a round ends when cakegate has answered every request at its
// response_url and posted every approval message to the approvals channel (the work it
// acknowledged is done), so no round's work runs beside the next round's acknowledgements.
func BenchmarkAckLatencyBinary(b *testing.B) {
	w := startAckBinaryWorld(b)
	transport := &http.Transport{MaxIdleConns: 4 * ackBinaryBurst, MaxIdleConnsPerHost: 2 * ackBinaryBurst, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	round := func(url string, cakegate bool) []time.Duration {
		reqs := make([]*http.Request, ackBinaryBurst)
		for i := range reqs {
			reqs[i] = w.signedRequest(b, url)
		}
		lat := ackBinaryAtOnce(b, client, reqs)
		if cakegate {
			w.replies.wait(b, ackBinaryBurst)
			w.approvalPosts += ackBinaryBurst
			w.waitPosts(b)
		}
		return lat
	}
	// A warm-up round of each opens the connections and fills cakegate's caches.
	round(w.cakegate, true)
	round(w.bare, false)

	var all, allBare []time.Duration
	var ratios []float64
	b.ResetTimer()
	for range b.N {
		lat := round(w.cakegate, true)
		b.StopTimer()
		bare := round(w.bare, false)
		b.StartTimer()
		ratios = append(ratios, float64(percentile(lat, 99))/float64(percentile(bare, 99)))
		all, allBare = append(all, lat...), append(allBare, bare...)
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric(float64(percentile(all, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(all, 99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(percentile(allBare, 50).Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64(percentile(allBare, 99).Microseconds()), "bare-p99-µs")
	b.ReportMetric(ratios[len(ratios)/2], "p99/bare-p99")
}

// ackBinaryWorld is the built cakegate serving HTTP against in-process fakes, the bare
// handler in a child process, and where cakegate's replies go.
type ackBinaryWorld struct {
	cakegate, bare string // base URLs
	replyURL       string
	replies        *replyCounter
	seq            atomic.Int64
	slack          *slacktest.Server
	// approvalPosts is how many approval messages cakegate should have posted by now;
	// posted is how many it has, read up to call callsRead of the fake.
	approvalPosts, posted, callsRead int
}

// waitPosts waits until cakegate has posted approvalPosts approval messages.
func (w *ackBinaryWorld) waitPosts(b *testing.B) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := w.slack.WaitFor(ctx, func(s *slacktest.Server) bool {
		for _, c := range s.CallsSince(w.callsRead) {
			w.callsRead++
			if c.Method == "chat.postMessage" && c.Params["channel"] == sandboxChannel {
				w.posted++
			}
		}
		return w.posted >= w.approvalPosts
	})
	if err != nil {
		b.Fatalf("%d of %d approval messages posted: %v", w.posted, w.approvalPosts, err)
	}
}

func startAckBinaryWorld(b *testing.B) *ackBinaryWorld {
	w := &ackBinaryWorld{replies: &replyCounter{accepted: make(chan struct{}, 4*ackBinaryBurst)}}
	fakeSlack := slacktest.New()
	w.slack = fakeSlack
	fakeSlack.Start()
	b.Cleanup(fakeSlack.Close)
	fakeSlack.AddUser(slacktest.User{ID: sandboxAnn, Name: "ann"})
	fakeSlack.AddUser(slacktest.User{ID: sandboxBob, Name: "bob"})
	fakeSlack.AddChannel(sandboxChannel, "cakegate-approvals")
	dc := datacaketest.NewServer(b)
	dc.AddWorkspace(sandboxWorkspace, "Acme", "acme")
	dc.AddDevice(sandboxWorkspace, datacaketest.Device{Name: "Boiler room", Serial: "SN-1001", Online: true})
	dc.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})

	// Slack's side of a reply runs on Slack's machines: the replies go to a handler that
	// accepts them and counts them, nothing more.
	replies := httptest.NewServer(w.replies)
	b.Cleanup(replies.Close)
	w.replyURL = replies.URL + "/response"

	dir := b.TempDir()
	policy := dir + "/cakegate.yaml"
	if err := os.WriteFile(policy, []byte(sandboxPolicy), 0o600); err != nil {
		b.Fatal(err)
	}
	addr := freeAddr(b)
	cmd := exec.Command(cakegateBinary(b), "serve")
	cmd.Env = append(os.Environ(),
		"SLACK_BOT_TOKEN="+slacktest.DefaultBotToken, "SLACK_SIGNING_SECRET="+sandboxSecret, "SLACK_APP_TOKEN=",
		"SLACK_API_URL="+fakeSlack.URL(), "DATACAKE_TOKEN="+sandboxDCToken, "DATACAKE_TOKEN_FILE=",
		"DATACAKE_API_URL="+dc.URL(), "DATACAKE_MAX_RPS=10000", "CAKEGATE_CONFIG="+policy,
		"CAKEGATE_DB="+dir+"/cakegate.db", "CAKEGATE_ADDR="+addr, "CAKEGATE_STORE=", "CAKEGATE_AUDIT_KEY_FILE=",
		"CAKEGATE_LOG_FORMAT=json")
	w.cakegate = "http://" + addr
	startUntil(b, cmd, `"msg":"cakegate is running`, nil)

	bare := exec.Command(os.Args[0])
	bare.Env = append(os.Environ(), bareHandlerEnv+"=1")
	var bareAddr string
	startUntil(b, bare, "listening on ", func(line string) { bareAddr = strings.TrimPrefix(line, "listening on ") })
	w.bare = "http://" + bareAddr
	return w
}

// startUntil starts cmd, stopped with SIGTERM when b ends, and waits until a line of its
// output contains ready; seen gets that line.
func startUntil(b *testing.B, cmd *exec.Cmd, ready string, seen func(line string)) {
	b.Helper()
	out, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				b.Fatalf("%s ended before it was ready:\n%s", cmd.Path, log.String())
			}
			log.WriteString(line + "\n")
			if i := strings.Index(line, ready); i >= 0 {
				if seen != nil {
					seen(line[i:])
				}
				go func() { // keep reading, so the process never blocks on a full pipe
					for range lines {
					}
				}()
				return
			}
		case <-deadline:
			b.Fatalf("%s was not ready within 30 s:\n%s", cmd.Path, log.String())
		}
	}
}

// signedRequest is `/cakegate request` from a new person, signed as Slack signs it.
func (w *ackBinaryWorld) signedRequest(b *testing.B, base string) *http.Request {
	n := w.seq.Add(1)
	body := slacktest.SlashCommandForm(slack.SlashCommand{
		Command:     "/cakegate",
		Text:        `request role=viewer devices=SN-1001 for=1h reason="ack bench"`,
		UserID:      fmt.Sprintf("U0ACK%07d", n),
		ChannelID:   "C0GENERAL",
		TeamID:      slacktest.DefaultTeamID,
		ResponseURL: w.replyURL,
		TriggerID:   fmt.Sprintf("ack.%d", n),
	})
	req, err := slacktest.SignedRequest(base+"/slack/commands", body, sandboxSecret, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return req
}

// ackBinaryAtOnce sends every request at once (slacktest.SendAtOnce) and returns how long
// each waited for its whole answer; an error or an answer other than 200 fails b.
func ackBinaryAtOnce(b *testing.B, client *http.Client, reqs []*http.Request) []time.Duration {
	got, errs := slacktest.SendAtOnce(client, reqs, nil)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return got
}

// percentile returns the p-th percentile of ds (sorted in place).
func percentile(ds []time.Duration, p int) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)*p/100]
}

// replyCounter stands in for Slack's response_url endpoint: it accepts a reply and counts
// those that confirm a request was taken; any other reply is a failed request.
type replyCounter struct {
	accepted chan struct{}
	refused  atomic.Value // string: the first reply that was not a confirmation
}

func (c *replyCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true}`)
	if strings.Contains(string(body), "is waiting for approval") {
		c.accepted <- struct{}{}
		return
	}
	c.refused.CompareAndSwap(nil, string(body))
	c.accepted <- struct{}{}
}

// wait waits for n more replies; a reply that was not a confirmation fails b.
func (c *replyCounter) wait(b *testing.B, n int) {
	b.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for i := range n {
		select {
		case <-c.accepted:
		case <-deadline.C:
			b.Fatalf("only %d of %d requests were answered within 60 s", i, n)
		}
	}
	if refused := c.refused.Load(); refused != nil {
		b.Fatalf("a request was not taken: %s", refused)
	}
}

// serveBareHandler is the child process's whole life when started with bareHandlerEnv:
// the baseline handler, on a loopback port it prints, until it is interrupted.
func serveBareHandler() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "listening on", ln.Addr().String())
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
}
