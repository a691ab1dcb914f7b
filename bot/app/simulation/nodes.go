package simulation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
)

// node is one running cakegate: the only one on a bbolt file, one of several replicas on
// etcd. Each has its own transport, so a crash point kills the node that reached it and no
// other.
type node struct {
	name    string // "a", "b", …: which replica, in the trace
	app     *app.App
	handler http.Handler
	net     *transport
	crashed string // the named step it died at, "" while alive
}

// replicated reports whether the world runs replicas on etcd.
func (w *World) replicated() bool { return w.etcd != nil }

// pickNode is the cakegate a delivery from Slack reaches: the only one, or a replica the
// seed picks (a load balancer, or Socket Mode handing the envelope to any connection).
func (w *World) pickNode() *node {
	live := w.liveNodes(w.avoid)
	if len(live) == 0 {
		return nil
	}
	if len(live) == 1 {
		return live[0]
	}
	return live[w.rng.IntN(len(live))]
}

// liveNodes are the nodes that have not crashed, but for except (nil: none).
func (w *World) liveNodes(except *node) []*node {
	var live []*node
	for _, n := range w.nodes {
		if n.crashed == "" && n != except {
			live = append(live, n)
		}
	}
	return live
}

// startApp starts cakegate as it should run: on bbolt, one process on the database file as
// it is; on etcd, as many replicas as the world runs, with a leader. Each start runs the
// jobs once, as the scheduler does at start.
func (w *World) startApp() error {
	sweep := "1m"
	if w.replicated() {
		sweep = "5m"
	}
	if err := os.WriteFile(w.policyPath(), []byte(w.policy.text(sweep)), 0o600); err != nil {
		return err
	}
	want := max(w.opts.Replicas, 1)
	for len(w.nodes) < want {
		n, err := w.startNode()
		if err != nil {
			return err
		}
		w.nodes = append(w.nodes, n)
	}
	if !w.stoppedAt.IsZero() {
		// What was due while it was down, or cut short by its death, is due again now.
		w.faults.out.down(depProcess, w.stoppedAt, w.clock.Now())
		w.stoppedAt = time.Time{}
	}
	if w.app == nil {
		w.elect()
	}
	return nil
}

// names are the replicas' names; a replica started after another died takes a new one.
var names = "abcdefghijklmnopqrstuvwxyz"

// startNode starts one cakegate with the policy in force.
func (w *World) startNode() (*node, error) {
	n := &node{name: string(names[w.starts%len(names)])}
	n.net = &transport{w: w, node: n, dcURL: w.dc.URL(), datacake: w.dc, slack: w.slack.Handler()}
	cfg := app.Config{
		SlackBotToken:      slacktest.DefaultBotToken,
		SlackSigningSecret: signingSecret,
		SlackAPIURL:        w.slack.URL(),
		DatacakeToken:      ownerToken,
		DatacakeAPIURL:     w.dc.URL(),
		DatacakeMaxRPS:     1e6,
		DatacakeMaxConc:    16,
		PolicyPath:         w.policyPath(),
		DBPath:             w.dbPath(),
		Addr:               "127.0.0.1:0",
		LogFormat:          "text",
	}
	fault := func(op string) error { return w.writeFault(n, op) }
	// A new database's id and birth come from the world, not crypto/rand and the wall
	// clock: one seed, one history.
	birth := func() (string, time.Time) { return fmt.Sprintf("sim%04d", w.installation), w.clock.Now() }
	opts := app.Options{
		Clock: w.clock,
		// Backoff waits take no virtual time: latency faults move the clock instead.
		DatacakeSleep: func(context.Context, time.Duration) error { return nil },
		StoreOptions:  []state.Option{state.WithoutSync(), state.WithWriteFault(fault), state.WithNewInstallation(birth)},
		Transport:     n.net,
		Go:            func(work func()) { work() },
		OneGoroutine:  true,
		// The driver fires the alarm itself, at the time it would wake (alarmDue).
		NoAlarm:    true,
		Rand:       rand.New(rand.NewPCG(w.seed, uint64(w.starts))),
		WrapOutbox: w.outbox.wrap,
	}
	if w.replicated() {
		cfg.Store = "etcd"
		cfg.Etcd = etcdstore.Config{Endpoints: []string{w.etcd.Endpoint}, Prefix: w.prefix}
		// Sessions end when the driver kills a replica, never by themselves in a run.
		cfg.EtcdSessionTTL = time.Hour
		opts.EtcdOptions = []etcdstore.Option{etcdstore.WithWriteFault(fault), etcdstore.WithNewInstallation(birth)}
	}
	out := io.Writer(w.logs)
	if w.opts.Log != nil {
		out = io.MultiWriter(w.logs, w.opts.Log)
	}
	w.starts++
	// Debug level: a token must not reach a log line at any level.
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}).WithAttrs([]slog.Attr{slog.String("node", n.name)}))
	a, err := app.New(cfg, log, opts)
	if err != nil {
		return nil, fmt.Errorf("start cakegate: %w", err)
	}
	n.app, n.handler = a, a.Handler()
	if err := a.JoinCluster(context.Background()); err != nil {
		a.Close()
		return nil, fmt.Errorf("start cakegate: join the cluster: %w", err)
	}
	w.trace.add(w.clock.Now(), "cakegate", "start "+n.name, fmt.Sprintf("%s, installation %d", w.policy, w.installation))
	// App.Run's health checks (not run here: no goroutines) learn at start which team and
	// app cakegate serves; the driver does that one step inline.
	if _, err := a.Bot().LearnIdentity(context.Background()); err != nil {
		w.trace.add(w.clock.Now(), "cakegate", "learn identity", "error: "+firstLine(err.Error()))
	}
	if len(w.nodes) > 0 {
		// A replica joining: its outbox worker runs at once, as at any start.
		if _, err := a.Bot().DeliverOutbox(context.Background()); err != nil {
			w.trace.add(w.clock.Now(), "cakegate", "deliver outbox", n.name+": error: "+firstLine(err.Error()))
		}
	}
	return n, nil
}

// elect makes a live node the leader, as the election would once the last leader's
// session ended, and has it run every job once, as its scheduler does when it starts to
// lead.
func (w *World) elect() {
	live := w.liveNodes(nil)
	if len(live) == 0 {
		w.app = nil
		return
	}
	leader := live[w.rng.IntN(len(live))]
	leader.app.SetLeading(true)
	w.app = leader.app
	w.jobs = w.app.Jobs()
	for _, j := range w.jobs {
		w.nextJob[j.Name] = nextRun(j.Spec, w.clock.Now(), w.app.Location())
	}
	w.swept, w.alarmCache = time.Time{}, alarmAnswer{}
	if w.replicated() {
		w.trace.add(w.clock.Now(), "etcd", "leader", leader.name)
	}
	w.takeOver("elected")
	w.runAllJobs()
}

// stopApp stops every cakegate, as a redeploy or a host's shutdown would; on etcd their
// sessions end with them.
func (w *World) stopApp() {
	if len(w.nodes) == 0 {
		return
	}
	w.stoppedAt = w.clock.Now()
	for _, n := range w.nodes {
		n.app.Leave()
		n.app.Close()
	}
	w.nodes, w.app = nil, nil
}

// kill ends node n as a SIGKILL would: nothing more of it runs, its database connection
// is gone, and (on etcd) its session ends, as its lease's TTL would end it: its outbox
// claims and its registered run vanish. A leader that dies is replaced by another
// replica's election; on bbolt the process is started again by the caller.
func (w *World) kill(n *node) {
	w.counts["replica killed"]++
	w.model.deadRuns[n.app.Service().InstanceID()] = w.clock.Now()
	lease, hasLease := n.app.SessionLease()
	n.app.Close()
	if hasLease {
		if _, err := w.etcd.admin.Revoke(context.Background(), lease); err != nil {
			panic(fmt.Sprintf("simulation: end the session of %s: %v", n.name, err))
		}
	}
	w.nodes = slices.DeleteFunc(w.nodes, func(o *node) bool { return o == n })
	w.trace.add(w.clock.Now(), "etcd", "session ended", n.name)
	if w.app == n.app {
		w.app = nil
		w.elect()
		return
	}
	// The leader's watch sees the session end and takes over at once what n was
	// provisioning.
	w.takeOver("session of " + n.name + " ended")
}

// takeOver has the leader take over what replicas whose session ended were provisioning,
// as App.Run's leader does when it starts to lead and whenever its watch sees a session
// end, then deliver what that queued.
func (w *World) takeOver(why string) {
	if w.app == nil || !w.replicated() {
		return
	}
	before := w.changes()
	ok := w.app.TakeOverEndedSessions(context.Background())
	if w.changes() != before || !ok {
		w.trace.add(w.clock.Now(), "cakegate", "take over", fmt.Sprintf("%s (all done: %v)", why, ok))
	}
	if w.changes() != before {
		w.deliverOutboxes(context.Background())
	}
}
