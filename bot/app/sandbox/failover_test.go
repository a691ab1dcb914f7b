package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// failoverTTL is the replicas' session TTL in the failover test: short, so the test is
// quick; the bound it shows scales with it (the default is 5 s).
const failoverTTL = 2 * time.Second

// failoverSchedule makes the leader's safety-net sweeps frequent, since the test writes
// grants behind the alarm's back.
const failoverSchedule = `orphans: report
schedule:
  expire: "@every 1s"
  reconcile: "@every 2s"
`

// cluster is three cakegate processes on one etcd prefix, against in-process fakes of
// Slack and Datacake: three pods of a Deployment.
type cluster struct {
	t        *testing.T
	slack    *slacktest.Server
	datacake *datacaketest.Server
	etcd     *etcdtest.Server
	prefix   string
	store    *etcdstore.Store // the test's own view of the data
	procs    []*process
	leading  chan leadEvent
}

// process is one cakegate serve.
type process struct {
	i      int
	cmd    *exec.Cmd
	url    string
	ready  chan struct{}
	mu     sync.Mutex
	log    bytes.Buffer
	killed bool
}

// leadEvent is a process logging that it leads, and when the test read the line.
type leadEvent struct {
	proc *process
	at   time.Time
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	return startClusterWith(t, n, failoverSchedule, failoverTTL)
}

// startClusterWith starts n replicas with schedule added to the sandbox policy and a
// session TTL of ttl (0: the default).
func startClusterWith(t *testing.T, n int, schedule string, ttl time.Duration) *cluster {
	t.Helper()
	c := &cluster{t: t, slack: slacktest.New(), datacake: datacaketest.NewServer(t), etcd: etcdtest.Start(t),
		prefix: etcdtest.Prefix(t), leading: make(chan leadEvent, 16)}
	c.slack.Start()
	t.Cleanup(c.slack.Close)
	for _, u := range []slacktest.User{{ID: sandboxAlice, Name: "alice"}, {ID: sandboxAnn, Name: "ann"}, {ID: sandboxBob, Name: "bob"}} {
		c.slack.AddUser(u)
	}
	c.slack.AddChannel(sandboxChannel, "cakegate-approvals")
	c.datacake.AddWorkspace(sandboxWorkspace, "Acme", "acme")
	c.datacake.AddDevice(sandboxWorkspace, datacaketest.Device{Name: "Boiler room", Serial: "SN-1001", Online: true})
	c.datacake.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})

	w := &checkConfigWorld{slack: c.slack, datacake: c.datacake, dir: t.TempDir()}
	env := append(w.env(t, sandboxPolicy+schedule),
		"SLACK_API_URL="+c.slack.URL(), "DATACAKE_API_URL="+c.datacake.URL(), "SLACK_SIGNING_SECRET="+sandboxSecret,
		"DATACAKE_MAX_RPS=1000", "CAKEGATE_LOG_FORMAT=json",
		"CAKEGATE_STORE=etcd", "CAKEGATE_ETCD_ENDPOINTS="+c.etcd.Endpoint, "CAKEGATE_ETCD_PREFIX="+c.prefix)
	if ttl > 0 {
		env = append(env, fmt.Sprintf("CAKEGATE_ETCD_SESSION_TTL=%ds", int(ttl/time.Second)))
	}
	bin := cakegateBinary(t)
	for i := range n {
		c.procs = append(c.procs, c.start(t, bin, env, i))
	}
	ctx := testContext(t)
	for _, p := range c.procs {
		select {
		case <-p.ready:
		case <-ctx.Done():
			t.Fatalf("replica %d did not start:\n%s", p.i, p.logs())
		}
	}
	var err error
	c.store, err = etcdstore.Open(ctx, c.etcd.Client(t), c.prefix)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cluster) start(t *testing.T, bin string, env []string, i int) *process {
	addr := freeAddr(t)
	p := &process{i: i, url: "http://" + addr, ready: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(env, "CAKEGATE_ADDR="+addr)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.killed {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		p.cmd.Wait()
	})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		readyOnce := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			switch {
			case strings.Contains(line, `"msg":"cakegate is running`):
				readyOnce.Do(func() { close(p.ready) })
			case strings.Contains(line, `"msg":"leading:`):
				c.leading <- leadEvent{proc: p, at: time.Now()}
			}
		}
	}()
	return p
}

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// kill ends p as a crash would: SIGKILL, no chance to revoke its lease.
func (p *process) kill(t *testing.T) {
	p.killed = true
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// nextLeader waits for a process other than not to log that it leads.
func (c *cluster) nextLeader(ctx context.Context, not *process) leadEvent {
	c.t.Helper()
	for {
		select {
		case e := <-c.leading:
			if e.proc != not && !e.proc.killed {
				return e
			}
		case <-ctx.Done():
			c.t.Fatalf("no new leader: %v", ctx.Err())
		}
	}
}

// waitRequests waits, on etcd's watch of the requests, until done holds for all of ids.
func (c *cluster) waitRequests(ctx context.Context, ids []commands.RequestID, done func(*commands.Request) bool) []*commands.Request {
	c.t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := c.etcd.Client(c.t).Watch(wctx, c.prefix+"requests/", clientv3.WithPrefix())
	for {
		var out []*commands.Request
		for _, id := range ids {
			r, err := c.store.Get(ctx, id)
			if err != nil {
				c.t.Fatal(err)
			}
			if !done(r) {
				break
			}
			out = append(out, r)
		}
		if len(out) == len(ids) {
			return out
		}
		select {
		case <-changes:
		case <-ctx.Done():
			var states []string
			for _, id := range ids {
				r, _ := c.store.Get(context.Background(), id)
				states = append(states, fmt.Sprintf("%s %s %+v", id, r.State, r.Grant))
			}
			var logs string
			for _, p := range c.procs {
				if !p.killed {
					logs += fmt.Sprintf("--- replica %d\n%s", p.i, p.logs())
				}
			}
			c.t.Fatalf("requests not done: %v\n%s\n%s", ctx.Err(), strings.Join(states, "\n"), logs)
		}
	}
}

// TestFailoverDuringExpirySweep kills the leader with SIGKILL while its expiry sweep
// waits on Datacake: another replica leads within the session TTL and ends every grant.
func TestFailoverDuringExpirySweep(t *testing.T) {
	t.Parallel() // mostly waits for the killed leader's session to end
	c := startCluster(t, 3)
	ctx := testContext(t)
	leader := c.nextLeader(ctx, nil)

	// Grants that end in a moment, each with its API user in Datacake.
	dc, err := datacake.New(datacake.Options{URL: c.datacake.URL(), Token: sandboxDCToken})
	if err != nil {
		t.Fatal(err)
	}
	const grants = 5
	// Named as cakegate names them (the store is fresh: R1…R5), so reconcile counts them as
	// this installation's; the policy only reports orphans, so the moment between an API
	// user and its grant being written is not taken for one.
	installation, _, _ := c.store.Installation()
	var users []datacake.CreatedAPIUser
	for i := range grants {
		name := commands.APIUserName(installation, commands.RequestID(i+1), sandboxAlice)
		u, err := dc.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: sandboxWorkspace, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	// The grants are written, and Datacake held, well before they end.
	end := time.Now().Add(2 * time.Second)
	var ids []commands.RequestID
	for _, u := range users {
		r := &commands.Request{Requester: sandboxAlice, Workspace: sandboxWorkspace, Role: "viewer", State: commands.StateActive,
			Duration: time.Minute, CreatedAt: time.Now(),
			Grant: &commands.Grant{APIUserID: u.ID, APIUserName: u.Name, CreatedAt: time.Now(), ExpiresAt: end}}
		if err := c.store.Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}

	c.datacake.Hold()
	if err := c.datacake.WaitHeld(ctx, "DeleteApiUser"); err != nil {
		t.Fatalf("the leader's sweep never reached Datacake: %v\n%s", err, leader.proc.logs())
	}
	leader.proc.kill(t)
	killed := time.Now()
	c.datacake.Release()
	if killed.Before(end) {
		t.Fatalf("the leader called Datacake %v before the grants' end: not its expiry sweep", end.Sub(killed))
	}

	next := c.nextLeader(ctx, leader.proc)
	failover := next.at.Sub(killed)
	// Expired, or revoked when the new leader's reconcile found the API user already
	// deleted by the dead leader's last call (it runs beside the expiry sweep): either
	// way the grant ended and its API user is gone.
	ended := c.waitRequests(ctx, ids, func(r *commands.Request) bool {
		return r.State == commands.StateExpired || r.State == commands.StateRevoked
	})
	// Seen ended by the test: an upper bound on when the last grant ended.
	late := time.Since(end)
	for _, r := range ended {
		if _, ok := c.datacake.APIUser(r.Grant.APIUserID); ok {
			t.Errorf("%s ended but its API user %s still exists", r.ID, r.Grant.APIUserID)
		}
	}
	// The requester hears of each end once (an end that reconcile found already done is
	// told as a revocation): nothing lost, nothing twice.
	told := func(s *slacktest.Server) map[commands.RequestID]int {
		n := map[commands.RequestID]int{}
		for _, m := range s.DMs(sandboxAlice) {
			text := s.RenderMessage(m)
			for _, id := range ids {
				if strings.Contains(text, "Your token for "+id.String()+" (role") {
					n[id]++
				}
			}
		}
		return n
	}
	if err := c.slack.WaitFor(ctx, func(s *slacktest.Server) bool { return len(told(s)) == len(ids) }); err != nil {
		t.Fatalf("the requester was not told of every end: %v (%v)", err, told(c.slack))
	}
	for id, n := range told(c.slack) {
		if n != 1 {
			t.Errorf("the requester was told of %s's end %d times, want once", id, n)
		}
	}
	t.Logf("failover %v after SIGKILL (TTL %v); last of %d grants ended %v after its end", failover.Round(time.Millisecond), failoverTTL, grants, late.Round(time.Millisecond))
	if failover > 2*failoverTTL {
		t.Errorf("a new leader took %v, want within about the session TTL (%v)", failover, failoverTTL)
	}
	if bound := 2*failoverTTL + 3*time.Second; late > bound {
		t.Errorf("the last grant ended %v after its end, want within the failover bound %v", late, bound)
	}
}

// TestFailoverDuringProvisioning kills, with SIGKILL, the replica creating the API user of
// a token its requester is revealing: the next leader, as it starts to lead, finds the
// request its dead owner left, deletes the half-made API user and puts the approval back
// (takeover_test.go times this with the default TTL), so a second
// Reveal on a live replica ends with exactly one API user, whose token only its requester
// saw, in a view.
func TestFailoverDuringProvisioning(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testContext(t)
	leader := c.nextLeader(ctx, nil)
	victim := leader.proc

	reveal := c.revealHeld(ctx, t, victim, victim, "failover test")
	victim.kill(t)
	killed := time.Now()
	c.datacake.Release()

	next := c.nextLeader(ctx, victim)
	c.waitRequests(ctx, []commands.RequestID{1}, func(r *commands.Request) bool { return r.State == commands.StateApproved })
	t.Logf("failover %v after SIGKILL (TTL %v); the approval back %v after it", next.at.Sub(killed).Round(time.Millisecond), failoverTTL, time.Since(killed).Round(time.Millisecond))
	for _, u := range c.datacake.APIUsers(sandboxWorkspace) {
		if strings.Contains(u.Name, "-r1-") {
			t.Fatalf("the half-made API user %s of R1 outlived its dead owner", u.Name)
		}
	}

	// The requester reveals again, on a live replica.
	c.click(ctx, t, next.proc, sandboxAlice, reveal, "cakegate_reveal")
	done := c.waitRequests(ctx, []commands.RequestID{1}, func(r *commands.Request) bool { return r.State == commands.StateActive })
	var live []datacaketest.APIUser
	for _, u := range c.datacake.APIUsers(sandboxWorkspace) {
		if strings.Contains(u.Name, "-r1-") {
			live = append(live, u)
		}
	}
	if len(live) != 1 || live[0].ID != done[0].Grant.APIUserID {
		t.Fatalf("API users of R1 in Datacake: %+v; want exactly the grant's %s", live, done[0].Grant.APIUserID)
	}
	if bad := tokenOnlyInViewsOf(c.slack, live[0].Token, sandboxAlice); len(bad) > 0 {
		t.Fatalf("the token left the requester's modal: %v", bad)
	}
	// Nothing went out twice: one approval message.
	if n := len(c.slack.Messages(sandboxChannel)); n != 1 {
		t.Errorf("%d messages in the approvals channel, want the one approval message", n)
	}
}

// revealHeld has alice ask (through front), ann approve, and alice click Reveal token on
// revealer, whose create Datacake then holds: it returns once Datacake holds it, with the
// Reveal DM. Release the hold with c.datacake.Release.
func (c *cluster) revealHeld(ctx context.Context, t *testing.T, front, revealer *process, reason string) slacktest.Message {
	t.Helper()
	if err := c.post(ctx, front, "/slack/commands", slacktest.SlashCommandForm(slack.SlashCommand{
		Command: "/cakegate", Text: `request role=viewer devices=SN-1001 for=1h reason="` + reason + `"`,
		UserID: sandboxAlice, ChannelID: sandboxChannel, TeamID: slacktest.DefaultTeamID,
		ResponseURL: c.slack.ResponseURLFor(sandboxChannel, sandboxAlice, ""), TriggerID: c.slack.NewTriggerID(sandboxAlice),
	})); err != nil {
		t.Fatal(err)
	}
	msg := c.waitMessage(ctx, t, "approval message", func(s *slacktest.Server) []slacktest.Message { return s.Messages(sandboxChannel) }, "[Approve]")
	c.click(ctx, t, front, sandboxAnn, msg, "cakegate_approve")
	reveal := c.waitMessage(ctx, t, "Reveal DM", func(s *slacktest.Server) []slacktest.Message { return s.DMs(sandboxAlice) }, "[Reveal token]")
	c.datacake.Hold()
	c.click(ctx, t, revealer, sandboxAlice, reveal, "cakegate_reveal")
	if err := c.datacake.WaitHeld(ctx, "NewApiUser"); err != nil {
		t.Fatalf("the reveal never reached Datacake: %v", err)
	}
	return reveal
}

// waitMessage waits for a message among those list returns whose rendering contains want.
func (c *cluster) waitMessage(ctx context.Context, t *testing.T, what string, list func(*slacktest.Server) []slacktest.Message, want string) slacktest.Message {
	t.Helper()
	var found slacktest.Message
	if err := c.slack.WaitFor(ctx, func(s *slacktest.Server) bool {
		for _, m := range list(s) {
			if strings.Contains(s.RenderMessage(m), want) {
				found = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no %s: %v", what, err)
	}
	return found
}

// click has user press a button of m, delivered to process p as Slack would.
func (c *cluster) click(ctx context.Context, t *testing.T, p *process, user string, m slacktest.Message, actionID string) {
	t.Helper()
	cb, err := c.slack.ButtonClick(user, m.Channel, m.TS, actionID)
	if err != nil {
		t.Fatal(err)
	}
	form, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.post(ctx, p, "/slack/interactions", form); err != nil {
		t.Fatal(err)
	}
}

// post sends a signed request to process p, as Slack would.
func (c *cluster) post(ctx context.Context, p *process, path string, body []byte) error {
	req, err := slacktest.SignedRequest(p.url+path, body, sandboxSecret, time.Now())
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", path, resp.Status, answer)
	}
	return nil
}
