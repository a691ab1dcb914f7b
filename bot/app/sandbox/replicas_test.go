package sandbox

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// replica is one more cakegate on the sandbox's etcd prefix, fakes and clock: what a
// second pod of a Deployment is.
type replica struct {
	app     *app.App
	baseURL string
	stop    func() error
}

// startReplica runs another cakegate with the sandbox's settings, clock and alarm; it stops
// with the test.
func startReplica(t *testing.T, s *sandbox) *replica {
	t.Helper()
	var clock commands.Clock = s.clock
	if s.real {
		clock = commands.SystemClock{}
	}
	a, err := app.New(s.cfg, app.NewLogger(s.cfg, s.logOut), app.Options{
		Clock:         clock,
		DatacakeSleep: func(context.Context, time.Duration) error { return nil },
		NoAlarm:       !s.alarm,
		Go:            s.work.run,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	stopped := false
	r := &replica{app: a, baseURL: "http://" + ln.Addr().String()}
	r.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		err := <-done
		a.Close()
		return err
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// slashTo sends a signed slash command to the cakegate at baseURL, as Slack's load
// balancer would.
func slashTo(ctx context.Context, s *sandbox, baseURL, user, text string) error {
	sc := slack.SlashCommand{
		Command: "/cakegate", Text: text, UserID: user, ChannelID: sandboxChannel,
		ResponseURL: s.slack.ResponseURLFor(sandboxChannel, user, ""), TriggerID: s.slack.NewTriggerID(user),
		TeamID: slacktest.DefaultTeamID,
	}
	req, err := slacktest.SignedRequest(baseURL+"/slack/commands", slacktest.SlashCommandForm(sc), sandboxSecret, time.Now())
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("slash command answered %s", resp.Status)
	}
	return nil
}

// TestReplicasOnEtcd runs three cakegates on one etcd prefix: one leads, every one serves
// Slack, each notification is sent by exactly one, and when the leader stops another
// takes over.
func TestReplicasOnEtcd(t *testing.T) {
	srv := etcdtest.Start(t)
	logs := &apptest.SyncBuffer{}
	s := startSandbox(t, sandboxOptions{etcdEndpoint: srv.Endpoint, etcdPrefix: etcdtest.Prefix(t), log: logs})
	ctx := testContext(t)
	replicas := []*replica{{app: s.app, baseURL: s.baseURL, stop: s.stopApp}, startReplica(t, s), startReplica(t, s)}
	defer func() {
		if t.Failed() {
			t.Logf("the replicas' warnings and errors:\n%s", warnings(logs.String()))
		}
	}()

	leader := waitLeader(t, ctx, replicas)
	leaders := 0
	for _, r := range replicas {
		resp, err := http.Get(r.baseURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "\ncakegate_leader 1\n") {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d replicas report cakegate_leader 1, want 1", leaders)
	}
	for i, r := range replicas {
		// Every replica, leader or not, has its etcd session: ready.
		resp, err := http.Get(r.baseURL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("replica %d: /readyz %s", i, resp.Status)
		}
	}
	for _, r := range replicas {
		if r != leader && r.app.Leading() {
			t.Fatal("two replicas lead at once")
		}
	}

	// Requests arrive at every replica; each approval message is posted once.
	const requests = 8
	for i := range requests {
		user := []string{sandboxAlice, sandboxCarol}[i%2]
		if err := slashTo(ctx, s, replicas[i%len(replicas)].baseURL, user, `request role=viewer devices=SN-1001 for=1h reason="replica test"`); err != nil {
			t.Fatal(err)
		}
	}
	// Slack's side shows the posts; the outbox is read once every replica's delivery run
	// under way has ended (the last post reaches Slack before its run marks it sent, and
	// nothing in Slack changes after that to wake a wait).
	err := s.slack.WaitFor(ctx, func(*slacktest.Server) bool { return approvalPosts(s) >= requests })
	if err != nil {
		t.Fatalf("the approval messages were not posted: %v (%d of %d)", err, approvalPosts(s), requests)
	}
	for _, r := range replicas {
		if _, err := r.app.Bot().DeliverOutbox(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if depth, err := s.app.Store().OutboxDepth(ctx); err != nil || depth != 0 {
		left, _ := s.app.Store().DueNotifications(ctx, s.clock.Now().AddDate(10, 0, 0), 0)
		t.Fatalf("%d notifications (%v) left in the outbox once every replica delivered: %+v", depth, err, left)
	}
	if n := approvalPosts(s); n != requests {
		t.Fatalf("%d approval messages for %d requests: a notification was sent by more than one replica, or lost", n, requests)
	}
	if pending, err := s.app.Store().InState(ctx, commands.StatePending); err != nil || len(pending) != requests {
		t.Fatalf("%d pending requests (%v), want %d", len(pending), err, requests)
	}

	// The leader stops: another is elected.
	if err := leader.stop(); err != nil {
		t.Fatal(err)
	}
	var rest []*replica
	for _, r := range replicas {
		if r != leader {
			rest = append(rest, r)
		}
	}
	next := waitLeader(t, ctx, rest)
	if next == leader {
		t.Fatal("the stopped replica still leads")
	}
}

// waitLeader waits for one of replicas to be elected and returns it.
func waitLeader(t *testing.T, ctx context.Context, replicas []*replica) *replica {
	t.Helper()
	won := make(chan *replica, len(replicas))
	wctx, cancel := context.WithTimeout(ctx, 2*app.DefaultSessionTTL)
	defer cancel()
	for _, r := range replicas {
		go func() {
			select {
			case <-r.app.Elected():
				won <- r
			case <-wctx.Done():
			}
		}()
	}
	select {
	case r := <-won:
		return r
	case <-wctx.Done():
		t.Fatalf("no replica was elected within %s", 2*app.DefaultSessionTTL)
		return nil
	}
}

// warnings keeps the WARN and ERROR lines of a text log.
func warnings(log string) string {
	var b strings.Builder
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// approvalPosts counts the approval messages in the approvals channel.
func approvalPosts(s *sandbox) int {
	n := 0
	for _, m := range s.slack.Messages(sandboxChannel) {
		if strings.Contains(s.slack.RenderMessage(m), "[Approve]") {
			n++
		}
	}
	return n
}

// TestLeaderAlarmHearsEveryReplica: a grant's end recorded anywhere (here: moved through
// the store, behind every app's back) wakes the leader's alarm, which deletes the API user
// at the end, not at its next check a minute later or the next cron sweep.
func TestLeaderAlarmHearsEveryReplica(t *testing.T) {
	srv := etcdtest.Start(t)
	s := startSandbox(t, sandboxOptions{etcdEndpoint: srv.Endpoint, etcdPrefix: etcdtest.Prefix(t), realClock: true})
	ctx := testContext(t)
	replicas := []*replica{{app: s.app, baseURL: s.baseURL, stop: s.stopApp}, startReplica(t, s)}
	waitLeader(t, ctx, replicas)
	approveR1(t, ctx, s, "8h")
	if err := s.datacake.WaitAnswered(ctx, "NewApiUser", 1); err != nil {
		t.Fatal(err)
	}
	r := s.request(t, ctx, 1)
	if r.State != commands.StateActive {
		t.Fatalf("R1 is %s, want active", r.State)
	}

	end := time.Now().Add(500 * time.Millisecond)
	if _, err := s.app.Store().Update(ctx, 1, func(r *commands.Request) (commands.Change, error) {
		r.Grant.ExpiresAt = end
		return commands.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second) // well short of the alarm's minute
	defer cancel()
	if err := s.datacake.WaitAnswered(wctx, "DeleteApiUser", 1); err != nil {
		t.Fatalf("the API user was not deleted at the grant's new end: %v", err)
	}
	t.Logf("deleted %v after the grant's end", time.Since(end).Round(time.Millisecond))
}
