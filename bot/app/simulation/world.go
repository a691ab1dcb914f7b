package simulation

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// start is where every simulated history begins.
var start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// World is one simulated history: the fakes, cakegate on its database file, the virtual
// clock, the seeded source every choice comes from, and what the simulation knows to be
// true (the model), against which the invariants judge.
type World struct {
	// unacked are Events API deliveries cakegate did not acknowledge: Slack sends each
	// again, up to three times.
	unacked []unackedEvent

	seed  uint64
	rng   *rand.Rand
	clock *commandstest.Clock
	slack *slacktest.Server
	dc    *datacaketest.Server
	dir   string

	// nodes are the cakegates running: one on bbolt, Options.Replicas on etcd
	// (nodes.go). app is the leader's: the one that runs the sweeps and the alarm, and
	// whose store the invariants read (on etcd, every replica's store is the same).
	nodes []*node
	app   *app.App
	// stoppedAt is when cakegate last stopped (died or was stopped).
	stoppedAt time.Time
	// outbox watches the bots' outboxes (notifications.go).
	outbox *outboxWatch
	logs   *bytes.Buffer // every line cakegate logged, across restarts
	// netCalls counts every call cakegate made, and netChanges those that may have
	// changed a fake (not the reads), so the driver can tell a step that changed nothing.
	netCalls, netChanges int
	// avoid is a replica that must not take a delivery now (see interleave).
	avoid *node
	// etcd is the cluster the replicas share, and prefix this history's place in it.
	etcd   *Etcd
	prefix string
	faults *faultModel
	trace  *trace
	model  *model
	opts   Options

	policy policy // the policy in force
	// generation counts the database files cakegate has run on: a restore or an empty
	// database starts a new one, whose request ids may repeat an earlier one's.
	generation   int
	installation int // which installation the database file belongs to (ground truth)
	starts       int // how many times cakegate was started
	backups      []backup
	nextJob      map[string]time.Time
	// retryAt is when a job whose run failed runs again (app.JobRetryAfter), as the
	// scheduler retries it: one retry per job at most, which scheduled folds into the
	// job's next run, so a tick that comes first uses it up (that run's own failure sets
	// the next).
	retryAt    map[string]time.Time
	swept      time.Time // when the alarm last swept (alarmDue)
	alarmCache alarmAnswer
	jobs       []app.Job

	// A crash is armed by the fault model: it happens at the countdown-th time the process
	// reaches the named step crashTarget (a call or a write); once crashed, every call and
	// write fails without effect, as if the process were gone, until the restart.
	crashTarget    string
	crashCountdown int
	crashed        string // the named step a node crashed at in this step, "" if none
	// writes counts store writes, so the driver can tell a step that changed nothing;
	// requestWrites only those that may change a request (not the outbox's bookkeeping),
	// so what was read of the requests can be kept until one does.
	writes, requestWrites int
	// diskFullUntil makes writes fail (ENOSPC) until then.
	diskFullUntil time.Time

	past []slack.InteractionCallback // recent interactions, to repeat
	// followUps are what people do later, in time order: an action that sets one off
	// does not pause the world meanwhile (followUp).
	followUps []followUp
	// interleaving is set while a concurrent action runs (interleave.go), runningJob names
	// the scheduled job running, and delivering the Slack request being delivered.
	interleaving  bool
	runningJob    string
	delivering    delivery
	sender        string               // who sends the delivery being posted
	dmsBlocked    []string             // users refusing DMs now
	dmsBackAt     map[string]time.Time // … until then
	channelGone   bool                 // the approvals channel is archived
	channelBackAt time.Time            // … until then
	installations int                  // installations made so far (0 is the first)
	counts        map[string]int       // actions and faults by name, for the report
	signAnchor    time.Time            // see signAt
	signed        int                  // deliveries signed so far
}

// followUp is something a person does at a later time.
type followUp struct {
	at   time.Time
	name string
	do   func()
}

// followUp has do run after d, in its turn among the world's events.
func (w *World) followUp(d time.Duration, name string, do func()) {
	f := followUp{at: w.clock.Now().Add(d), name: name, do: do}
	i := len(w.followUps)
	for i > 0 && w.followUps[i-1].at.After(f.at) {
		i--
	}
	w.followUps = slices.Insert(w.followUps, i, f)
}

// backup is a copy of the database file taken while cakegate ran.
type backup struct {
	at           time.Time
	data         []byte
	installation int
}

// Options say what to simulate beyond the defaults.
type Options struct {
	// KnownBugs turns on the faults and invariants that today's code is known to fail
	// (knownBugs); off, they are skipped with a message.
	KnownBugs bool
	// Bugs turns on single known bugs by their trigger or invariant name, to show that
	// the simulation finds each alone.
	Bugs []string
	// Log receives every line cakegate logs; nil keeps them only for the token search.
	Log io.Writer
	// KeepGoing runs every seed even after one failed (RunSeeds), to see every failure.
	KeepGoing bool
	// Replicas, when 2 or more, runs that many cakegates on one etcd (Etcd) instead of one
	// on a bbolt file: the driver picks which replica takes each delivery, runs the
	// sweeps on the one it elected, and kills replicas, whose sessions then end.
	Replicas int
	Etcd     *Etcd
}

// newWorld builds the fakes and starts cakegate on a fresh database.
func newWorld(seed uint64, opts Options) (*World, error) {
	w := &World{
		seed:    seed,
		rng:     rand.New(rand.NewPCG(seed, 0x5eed)),
		clock:   commandstest.NewClock(start),
		logs:    &bytes.Buffer{},
		trace:   newTrace(),
		model:   newModel(),
		opts:    opts,
		nextJob: map[string]time.Time{},
		retryAt: map[string]time.Time{},
		counts:  map[string]int{},

		dmsBackAt: map[string]time.Time{},
	}
	w.faults = newFaultModel(w)
	w.outbox = newOutboxWatch(w)
	w.model.forgetAudit(0)
	w.trace.onFault = func(name string) { w.counts["fault "+name]++ }
	w.slack = slacktest.New(slacktest.WithClock(w.clock.Now))
	w.slack.Start()
	for _, u := range people {
		w.slack.AddUser(slackUser(u, false))
	}
	w.startOnCall()
	w.slack.AddChannel(approvalsChannel, "cakegate-approvals")
	w.slack.AddChannel(generalChannel, "general")
	w.dc = datacaketest.New()
	// Ids, tokens and creation times come from the seed and the virtual clock.
	w.dc.SetRandom(rand.NewChaCha8(seedBytes(seed)))
	w.dc.SetClock(w.clock.Now)
	if err := w.dc.Start(); err != nil {
		w.slack.Close()
		return nil, err
	}
	w.dc.AddWorkspace(workspace, "Acme Cold Chain", "acme")
	for i, serial := range serials {
		w.dc.AddDevice(workspace, datacaketest.Device{Name: "Device " + serial, Serial: serial, Tags: []string{[]string{"heating", "lab", "field-test"}[i]}, Online: true})
	}
	w.dc.AddToken(ownerToken, map[string][]string{workspace: {"members"}})
	if opts.Replicas > 1 {
		if opts.Etcd == nil {
			w.Close()
			return nil, errors.New("simulation: replicas need an etcd cluster (Options.Etcd)")
		}
		w.etcd, w.prefix = opts.Etcd, opts.Etcd.prefixFor(seed)
	}

	// The database file lives in memory where the machine has a tmpfs: it is the real bbolt
	// file all the same, and crashes are the process's, not the disk's, so nothing is lost
	// but the journaling of a disk's file system, a fifth of the run's time.
	var err error
	w.dir, err = os.MkdirTemp("/dev/shm", "cakegate-sim-")
	if err != nil {
		w.dir, err = os.MkdirTemp("", "cakegate-sim-")
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	if err := w.startApp(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// seedBytes stretches a seed to the 32 bytes of a ChaCha8 key.
func seedBytes(seed uint64) [32]byte {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	copy(b[8:], "cakegate simulation datacake")
	return b
}

func lowerName(id string) string { return string(bytes.ToLower([]byte(id[2:]))) }

func (w *World) dbPath() string     { return filepath.Join(w.dir, "cakegate.db") }
func (w *World) policyPath() string { return filepath.Join(w.dir, "cakegate.yaml") }

// Close stops cakegate and the fakes and removes the files.
func (w *World) Close() {
	w.stopApp()
	w.slack.Close()
	w.dc.Close()
	if w.dir != "" {
		os.RemoveAll(w.dir)
	}
}

// runAllJobs runs every scheduled job once and delivers the outbox, as the scheduler does
// at start (the leavers sweep too: production runs it beside the others).
func (w *World) runAllJobs() {
	ctx := context.Background()
	for _, j := range w.jobs {
		w.runJob(ctx, j.Name)
	}
}

// alarmAnswer is NextDue's last answer, when it was asked, and at which requestsVersion.
type alarmAnswer struct {
	next, asked time.Time
	failed      bool // NextDue failed: the alarm sweeps at its longest wait
	requests    requestsVersion
}

// requestsVersion changes whenever the stored requests may have: a write that may touch
// one, or a start (on a restored or empty file).
type requestsVersion struct{ writes, starts int }

func (w *World) requestsVersion() requestsVersion {
	return requestsVersion{w.requestWrites, w.starts}
}

// alarmJob names the alarm among the jobs the driver fires.
const alarmJob = "alarm"

// alarmDue is when commands.Alarm wakes next: to sweep at the earliest grant end or
// reminder NextDue finds (not again within a second of a sweep that could not move it), or,
// with nothing due, commands.AlarmMaxWait after it last looked, to look again (runJob then
// only forgets the answer).
func (w *World) alarmDue() (time.Time, bool) {
	if w.app == nil {
		return time.Time{}, false
	}
	now := w.clock.Now()
	// NextDue reads the store and looks commands.AlarmMaxWait ahead: its answer holds
	// until a request may have changed (the real alarm is woken then) or the clock reaches
	// that horizon, when the alarm looks again.
	c := &w.alarmCache
	if c.requests != w.requestsVersion() || c.asked.IsZero() || !now.Before(c.asked.Add(commands.AlarmMaxWait)) {
		next, err := w.app.Service().NextDue(context.Background(), now)
		*c = alarmAnswer{next: next, failed: err != nil, asked: now, requests: w.requestsVersion()}
	}
	next := c.next
	if next.IsZero() || c.failed {
		// Nothing is due within the look-ahead (or the look failed): the alarm sleeps its
		// longest wait, so a grant ending just past the horizon is still met on time.
		return c.asked.Add(commands.AlarmMaxWait), true
	}
	if !w.swept.IsZero() && !next.After(w.swept) {
		next = w.swept.Add(time.Second)
	}
	return next, true
}

func (w *World) runJob(ctx context.Context, name string) {
	if w.app == nil {
		return
	}
	before := w.changes()
	outer := w.runningJob
	w.runningJob = name
	defer func() { w.runningJob = outer }()
	if name == alarmJob {
		if c := &w.alarmCache; c.next.IsZero() && !c.failed {
			// Nothing was due: the alarm only looks again (commands.Alarm.Run).
			c.asked = time.Time{}
			return
		}
		w.swept = w.clock.Now()
		w.app.SweepDue(ctx)
	} else if err := w.app.RunJob(ctx, name); err != nil {
		w.trace.add(w.clock.Now(), "cakegate", "job "+name, "error: "+firstLine(err.Error()))
		retry := w.clock.Now().Add(app.JobRetryAfter)
		w.retryAt[name] = retry
		if next, ok := w.nextJob[name]; ok && retry.Before(next) {
			w.nextJob[name] = retry
		}
	}
	if name == "outbox" || w.changes() != before {
		w.deliverOutboxes(ctx)
	}
}

// deliverOutboxes has every live cakegate deliver the outbox (on etcd, each what it
// claims), in an order the seed picks: jobs kick the outbox worker, so here it delivers
// at once, after a job that changed something (what it queued) and at the outbox job's
// own ticks (retries now due).
func (w *World) deliverOutboxes(ctx context.Context) {
	nodes := slices.Clone(w.nodes)
	w.rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
	for _, n := range nodes {
		if n.crashed != "" {
			continue
		}
		if _, err := n.app.Bot().DeliverOutbox(ctx); err != nil {
			w.trace.add(w.clock.Now(), "cakegate", "deliver outbox", n.name+": error: "+firstLine(err.Error()))
		}
	}
}

// slash has user type /cakegate text; it returns the private answer.
func (w *World) slash(user, text string) string {
	if _, gone := w.model.left[user]; gone {
		return notDelivered
	}
	responseURL := w.slack.ResponseURLFor(approvalsChannel, user, "")
	w.sender = user
	sc := slack.SlashCommand{
		Command: "/cakegate", Text: text, UserID: user, ChannelID: approvalsChannel,
		ResponseURL: responseURL, TriggerID: w.slack.NewTriggerID(user), TeamID: slacktest.DefaultTeamID,
	}
	status, _ := w.post("/slack/commands", slacktest.SlashCommandForm(sc))
	return w.answer(responseURL, status)
}

// interact delivers an interaction (a click, a form) and returns the private answer, if any.
func (w *World) interact(cb slack.InteractionCallback) string {
	if _, gone := w.model.left[cb.User.ID]; gone {
		return notDelivered
	}
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		return "cannot encode: " + err.Error()
	}
	w.sender = cb.User.ID
	status, ack := w.post("/slack/interactions", body)
	if cb.ResponseURL == "" {
		if status == "" {
			status = "ok " + firstLine(ack)
		}
		return status
	}
	return w.answer(cb.ResponseURL, status)
}

// post sends a signed request to cakegate's handler, as Slack does, and returns the status
// line ("" for 200) and the immediate answer. The signature carries the wall clock: Slack signs with its own time, and cakegate
// checks it against its host's.
func (w *World) post(path string, body []byte) (string, string) {
	return w.postRetry(path, body, 0)
}

// postRetry delivers body to path as Slack's retry number retry (0: the first delivery):
// a retry says so in X-Slack-Retry-Num, as Slack's do.
func (w *World) postRetry(path string, body []byte, retry int) (string, string) {
	req, err := slacktest.SignedRequest("http://cakegate"+path, body, signingSecret, w.signAt())
	if err != nil {
		return err.Error(), ""
	}
	outer := w.delivering
	w.delivering = delivery{path: path, body: body, user: w.sender}
	defer func() { w.delivering = outer }()
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	n := w.pickNode()
	if n == nil {
		return "cakegate is down", ""
	}
	status, answer := w.serveSigned(n, req, body)
	if status == "" && retry == 0 && w.rng.IntN(25) == 0 {
		w.replay(n, req, body)
	}
	return status, answer
}

func (w *World) serveSigned(n *node, req *http.Request, body []byte) (status, answer string) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	n.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Sprintf("HTTP %d %s", rec.Code, firstLine(rec.Body.String())), ""
	}
	return "", rec.Body.String()
}

// replay sends a delivery cakegate took once more, byte for byte and with the same
// signature, as anyone who saw it could: cakegate must answer 200 and do nothing at all.
func (w *World) replay(n *node, req *http.Request, body []byte) {
	if len(w.nodes) > 1 && w.enabled(triggerReplayElsewhere) {
		n = w.pickNode() // another replica, perhaps: the replay record must be shared
	}
	writes, changes, calls := w.writes, w.netChanges, w.netCalls
	status, _ := w.serveSigned(n, req, body)
	w.counts["replayed a signed request"]++
	w.trace.add(w.clock.Now(), "attacker", "replay "+req.URL.Path+" to "+n.name, cmp.Or(status, "ok"))
	if status != "" || w.writes != writes || w.netChanges != changes || w.netCalls != calls {
		w.model.broken = append(w.model.broken, violation{invReplayDropped, fmt.Sprintf(
			"a replay of %s was answered %q and made %d writes and %d calls", req.URL.Path, cmp.Or(status, "200"), w.writes-writes, w.netCalls-calls)})
	}
}

// signAt is the time the next delivery is signed at. Slack's verifier wants it within five
// minutes of the wall clock; cakegate's replay guard remembers signatures, so a timestamp
// read from the wall clock would let the wall decide whether two deliveries of the same body
// (a click Slack sends again) look like one. Each delivery gets its own second instead,
// counted from an anchor read from the wall clock (again after two minutes, for long runs,
// which are deterministic between anchors).
func (w *World) signAt() time.Time {
	if now := time.Now(); w.signAnchor.IsZero() || now.Sub(w.signAnchor) > 2*time.Minute {
		w.signAnchor = now.Truncate(time.Second)
	}
	w.signed++
	return w.signAnchor.Add(time.Duration(w.signed%240-120) * time.Second)
}

// notDelivered is what a deactivated account's command or click gets: Slack sends nothing.
const notDelivered = "(not sent: the account is deactivated)"

// answer is what the user saw privately at responseURL, shortened for the trace.
func (w *World) answer(responseURL, status string) string {
	if status != "" {
		return status
	}
	posts := w.slack.ResponseURLPosts(responseURL)
	for _, p := range posts {
		w.model.responses = append(w.model.responses, p.Body)
	}
	if len(posts) == 0 {
		return "(no answer)"
	}
	return firstLine(posts[len(posts)-1].Text)
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 140 {
		s = s[:140] + "…"
	}
	return s
}

// unackedEvent is an Events API delivery waiting for Slack to send it again.
type unackedEvent struct {
	body  []byte
	tries int
}

// redeliverEvents posts again, as Slack does, the events cakegate did not acknowledge: Slack
// retries an Events API delivery three times, the first within a minute.
func (w *World) redeliverEvents() {
	pending := w.unacked
	w.unacked = nil
	for _, e := range pending {
		if len(w.nodes) == 0 || w.crashed != "" {
			w.unacked = append(w.unacked, e)
			continue
		}
		status, _ := w.postRetry("/slack/events", e.body, e.tries+1)
		w.say("slack", "deliver an unacknowledged event again", cmp.Or(status, "ok"))
		if status != "" && e.tries+1 < 3 {
			e.tries++
			w.unacked = append(w.unacked, e)
		}
	}
}
