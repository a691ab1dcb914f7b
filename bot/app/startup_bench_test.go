package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
	"github.com/cakegate/cakegate/state"
)

// BenchmarkStartup1M measures cakegate's start-up over a database of N stored requests, of
// which the same few are live whatever N is: what `cakegate serve` does before it serves,
// and then until its start-up jobs have caught up. One iteration is
//
//   - New: load the policy, open the store (state.Open on the N-request file), build the
//     Datacake client, the use cases, the bot and the scheduler. After this the HTTP server
//     can serve (ms/newApp);
//   - the scheduler's start: every job runs once (expire, remind, pending timeout,
//     reconcile, outbox kick) and the run waits for all of them, then the outbox worker's
//     first delivery pass, as App.Run starts it (ms/jobs).
//
// ms/open is state.Open alone on the file. ms/expire, ms/remind, ms/pending and
// ms/reconcile are each job run again alone, after the measured start-up (the jobs run
// concurrently at start), to show where the time goes.
//
// Nothing is due, so the sweeps walk only their index's first keys; reconcile reads the
// live grants and lists the API users in the fake Datacake over loopback. With N=1,000,000
// start-up should take about what it does with N=10,000: it does no full scan.
//
// The database file is in the page cache (it was just written): a cold start also reads
// the few pages start-up touches from disk, which this does not measure.
func BenchmarkStartup1M(b *testing.B) {
	// The parent runs once; each case's files and fakes are made on first use and shared
	// by that case's runs, and removed with this benchmark's directory.
	dir := b.TempDir()
	slackFake := slacktest.New()
	slackFake.Start()
	b.Cleanup(slackFake.Close)
	parent := b
	envs := map[int]*startupEnv{}
	for _, n := range []int{1_000_000, 10_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			b.StopTimer() // until start-up: preparing the file is not measured
			env := envs[n]
			if env == nil {
				env = newStartupEnv(b, parent.Cleanup, dir, slackFake.URL(), n)
				envs[n] = env
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var newAppTime, jobsTime, openTime time.Duration
			each := map[string]time.Duration{}
			for range b.N {
				// state.Open alone, for the record; closed again before New opens the file.
				began := time.Now()
				s, err := state.Open(env.cfg.DBPath)
				if err != nil {
					b.Fatal(err)
				}
				openTime += time.Since(began)
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}

				logs := &apptest.SyncBuffer{}
				callsBefore := env.datacake.CallCount("")
				b.StartTimer()
				began = time.Now()
				a, err := New(env.cfg, NewLogger(env.cfg, logs), Options{Clock: env.clock})
				if err != nil {
					b.Fatalf("New: %v", err)
				}
				built := time.Now()
				a.sched.start(ctx)
				a.sched.stop() // waits for the runs at start
				delivered, derr := a.bot.DeliverOutbox(ctx)
				done := time.Now()
				b.StopTimer()
				newAppTime += built.Sub(began)
				jobsTime += done.Sub(built)

				// Reconcile lists the API users once; nothing else calls Datacake.
				if calls := env.datacake.CallCount("") - callsBefore; calls != 1 {
					b.Fatalf("start-up made %d Datacake calls, want 1 (reconcile's list of API users)", calls)
				}
				if derr != nil || delivered != 0 {
					b.Fatalf("outbox at start: %d delivered, err %v; want nothing to deliver", delivered, derr)
				}
				// The jobs log only what they did or failed to do: nothing was due. (New itself
				// names the database and its installation, once.)
				var jobLines []string
				for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
					if line != "" && !strings.Contains(line, "msg=database ") {
						jobLines = append(jobLines, line)
					}
				}
				if len(jobLines) > 0 {
					b.Fatalf("start-up logged, so something was due or failed:\n%s", strings.Join(jobLines, "\n"))
				}
				env.checkNothingDue(b, a, each)
				if err := a.Close(); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(env.datacake.APIUsers(startupWorkspace)); got != startupActive {
				b.Fatalf("%d API users left in Datacake, want all %d", got, startupActive)
			}
			if calls := slackFake.Calls(); len(calls) != 0 {
				b.Fatalf("start-up called Slack %d times (first: %s), want none", len(calls), calls[0].Method)
			}
			perOp := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / float64(b.N) }
			b.ReportMetric(perOp(openTime), "ms/open")
			b.ReportMetric(perOp(newAppTime), "ms/newApp")
			b.ReportMetric(perOp(jobsTime), "ms/jobs")
			for name, d := range each {
				b.ReportMetric(perOp(d), "ms/"+name)
			}
		})
	}
}

// The live part of every start-up database: the newest requests, as in a real one.
const (
	startupActive  = 1_000 // active grants, expiring 2 to 5.5 days from now
	startupPending = 100   // pending for an hour of their 48
)

var startupNow = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

const (
	startupWorkspace = "5f0c2a9e-7d1b-4c3e-9a8f-2b6d4e1c0a7f"
	startupDCToken   = "dc-owner-token-startup"
	startupChannel   = "C0APPROVALS"
	startupApprover  = "U0ANN"
)

const startupPolicy = `workspace: ` + startupWorkspace + `
approvals_channel: ` + startupChannel + `
approvers: [` + startupApprover + `]
requesters: all
timezone: Europe/Berlin
reminders: [24h, 1h]
pending_timeout: 48h
roles:
  viewer:
    description: See chosen devices and their data
    workspace_permissions: []
    device_permissions: []
    devices: any
    max_duration: 7d
    default_duration: 8h
`

// startupEnv is one case of BenchmarkStartup1M: a database of n requests, a fake Datacake
// holding the API users of its active grants, and the configuration that points at them.
type startupEnv struct {
	cfg      Config
	clock    *commandstest.Clock
	datacake *datacaketest.Server
}

// cleanup is the parent benchmark's: the case's runs share what this makes.
func newStartupEnv(b *testing.B, cleanup func(func()), dir, slackURL string, n int) *startupEnv {
	b.Helper()
	start := time.Now()
	dc := datacaketest.New()
	if err := dc.Start(); err != nil {
		b.Fatal(err)
	}
	cleanup(dc.Close)
	dc.AddWorkspace(startupWorkspace, "Acme Cold Chain", "acme")
	dc.AddToken(startupDCToken, map[string][]string{startupWorkspace: {"members"}})

	// The active grants' API users exist in Datacake, made through the real client, so
	// that reconcile finds every grant's API user and every API user's grant.
	client, err := datacake.New(datacake.Options{URL: dc.URL(), Token: startupDCToken, MaxRPS: 10_000, MaxConcurrency: 8})
	if err != nil {
		b.Fatal(err)
	}
	first := startupFirstLive(n)
	apiUsers := make([]string, startupActive)
	for k := range apiUsers {
		id := commands.RequestID(first + k)
		u, err := client.CreateAPIUser(context.Background(), datacake.CreateAPIUserInput{
			Workspace: startupWorkspace,
			Name:      commands.APIUserName("", id, startupRequester(uint64(id))),
		})
		if err != nil {
			b.Fatalf("create API user for %s: %v", id, err)
		}
		apiUsers[k] = u.ID
	}
	made := time.Since(start)

	caseDir := filepath.Join(dir, fmt.Sprintf("n%d", n))
	if err := os.Mkdir(caseDir, 0o700); err != nil {
		b.Fatal(err)
	}
	policyPath := filepath.Join(caseDir, "cakegate.yaml")
	if err := os.WriteFile(policyPath, []byte(startupPolicy), 0o600); err != nil {
		b.Fatal(err)
	}
	dbPath := filepath.Join(caseDir, "cakegate.db")
	start = time.Now()
	startupLoad(b, dbPath, n, startupNow, apiUsers)
	fi, err := os.Stat(dbPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("made %d API users in %v; loaded %d requests in %v: %d MB",
		startupActive, made.Round(time.Millisecond), n, time.Since(start).Round(time.Millisecond), fi.Size()>>20)
	checkStartupFile(b, dbPath, n, startupNow, apiUsers)

	return &startupEnv{
		cfg: Config{
			SlackBotToken:      slacktest.DefaultBotToken,
			SlackSigningSecret: "startup-signing-secret",
			SlackAPIURL:        slackURL,
			DatacakeToken:      startupDCToken,
			DatacakeAPIURL:     dc.URL(),
			DatacakeMaxRPS:     10, // the production defaults
			DatacakeMaxConc:    8,
			PolicyPath:         policyPath,
			DBPath:             dbPath,
			Addr:               "127.0.0.1:0",
			LogFormat:          "text",
		},
		clock:    commandstest.NewClock(startupNow),
		datacake: dc,
	}
}

// checkNothingDue runs the start-up jobs again, one after another, to be sure the measured
// start-up had nothing to do rather than failing quietly. It adds what each took to took,
// which says where start-up time goes.
func (e *startupEnv) checkNothingDue(b *testing.B, a *App, took map[string]time.Duration) {
	b.Helper()
	ctx := context.Background()
	for _, j := range []struct {
		name  string
		sweep func(context.Context) (commands.SweepResult, error)
	}{
		{"expire", a.svc.ExpireDue}, {"remind", a.svc.RemindDue}, {"pending", a.svc.TimeOutPending},
	} {
		began := time.Now()
		res, err := j.sweep(ctx)
		took[j.name] += time.Since(began)
		if err != nil || res != (commands.SweepResult{}) {
			b.Fatalf("%s sweep after start-up: %+v, %v; want nothing due", j.name, res, err)
		}
	}
	began := time.Now()
	res, err := a.svc.Reconcile(ctx)
	took["reconcile"] += time.Since(began)
	if err != nil || res != (commands.ReconcileResult{}) {
		b.Fatalf("reconcile after start-up: %+v, %v; want nothing to do", res, err)
	}
}

// startupLoad creates a database at path holding n requests by 1,000 users, as a cakegate
// that has run for a long time would have them: the newest startupActive+startupPending are
// live (active grants whose API users are apiUsers, then pending requests), every older one
// has ended (expired, revoked, denied, cancelled or timed out). Nothing is due at now.
//
// It writes with bbolt directly, in state's layout of schema version 1: state.Open creates
// the file, its buckets and its schema version, then this fills the requests bucket
// (8-byte big-endian id → JSON commands.Request, as state/requests.go writes it) and the
// three indexes exactly as state/indexes.go keeps them (state/keys.go has the key formats):
//   - by_user: requester, 0x00, id, for every request;
//   - by_state: state, 0x00, id, for pending, provisioning, active and revoking requests;
//   - by_expiry: expiry Unix nanos (8 bytes big-endian), id, for active and revoking grants.
//
// The audit log and the outbox are left empty: start-up reads neither (the outbox only from
// its due index, which must be empty for nothing to be due). checkStartupFile and
// TestStartupLoadMatchesState check the file through the state package. Going around the
// store this way, 50,000 requests per transaction with fsync off, loads a million requests
// in seconds rather than the hours one synced transaction per request would take.
func startupLoad(tb testing.TB, path string, n int, now time.Time, apiUsers []string) {
	tb.Helper()
	s, err := state.Open(path)
	if err != nil {
		tb.Fatalf("startupLoad: %v", err)
	}
	if err := s.Close(); err != nil {
		tb.Fatalf("startupLoad: %v", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{NoSync: true, NoGrowSync: true, InitialMmapSize: 1 << 30})
	if err != nil {
		tb.Fatalf("startupLoad: %v", err)
	}
	defer db.Close()
	const perTx = 50_000
	for start := 1; start <= n; start += perTx {
		err := db.Update(func(tx *bbolt.Tx) error {
			requests := tx.Bucket([]byte("requests"))
			byUser := tx.Bucket([]byte("by_user"))
			byState := tx.Bucket([]byte("by_state"))
			byExpiry := tx.Bucket([]byte("by_expiry"))
			if requests == nil || byUser == nil || byState == nil || byExpiry == nil {
				return fmt.Errorf("%s lacks the buckets of schema version 1: state's layout changed", path)
			}
			// Ids only grow, so the append-only buckets can fill their pages.
			requests.FillPercent = 0.95
			byState.FillPercent = 0.95
			for i := start; i < start+perTx && i <= n; i++ {
				id := uint64(i)
				r := startupRequest(n, id, now, apiUsers)
				v, err := json.Marshal(r)
				if err != nil {
					return err
				}
				if err := requests.Put(startupU64(id), v); err != nil {
					return err
				}
				if err := byUser.Put(startupStringIDKey(r.Requester, id), []byte{}); err != nil {
					return err
				}
				switch r.State {
				case commands.StatePending, commands.StateProvisioning, commands.StateActive, commands.StateRevoking:
					if err := byState.Put(startupStringIDKey(string(r.State), id), []byte{}); err != nil {
						return err
					}
				}
				if (r.State == commands.StateActive || r.State == commands.StateRevoking) && r.Grant != nil {
					k := binary.BigEndian.AppendUint64(startupU64(uint64(r.Grant.ExpiresAt.UnixNano())), id)
					if err := byExpiry.Put(k, []byte{}); err != nil {
						return err
					}
				}
			}
			// The next request made gets the next id, as if these had been made one by one.
			return requests.SetSequence(uint64(min(start+perTx-1, n)))
		})
		if err != nil {
			tb.Fatalf("startupLoad: %v", err)
		}
	}
	if err := db.Sync(); err != nil {
		tb.Fatalf("startupLoad: sync: %v", err)
	}
}

// startupFirstLive is the id of the first live request of an n-request database.
func startupFirstLive(n int) int { return n - startupActive - startupPending + 1 }

func startupRequester(id uint64) string { return fmt.Sprintf("U%06d", id%1000) }

// startupRequest is request id of an n-request database at now; apiUsers are the API user
// ids of its active grants, in id order.
func startupRequest(n int, id uint64, now time.Time, apiUsers []string) *commands.Request {
	user := startupRequester(id)
	// Older requests were made further back: a million span about two years.
	created := now.Add(-time.Duration(uint64(n)-id+1) * time.Minute)
	r := &commands.Request{
		ID:                   commands.RequestID(id),
		Requester:            user,
		Workspace:            startupWorkspace,
		Role:                 "viewer",
		WorkspacePermissions: []string{},
		DevicePermissions:    []string{},
		Devices:              []commands.Device{{ID: "dev-" + strconv.FormatUint(id%50, 10), Name: "Cellar sensor", Serial: "SN-" + strconv.FormatUint(1000+id%50, 10)}},
		Duration:             8 * time.Hour,
		Reason:               "check the cellar readings",
		CreatedAt:            created,
		UpdatedAt:            created,
		ApprovalsNeeded:      1,
		Message:              commands.MessageRef{Channel: startupChannel, TS: fmt.Sprintf("%d.%06d", created.Unix(), id%1_000_000)},
	}
	approve := func() {
		r.Approvals = []commands.Approval{{User: startupApprover, At: created.Add(time.Minute)}}
		r.DecidedBy, r.DecidedAt, r.UpdatedAt = startupApprover, created.Add(time.Minute), created.Add(time.Minute)
	}
	grant := func(expires time.Time) {
		r.Grant = &commands.Grant{
			APIUserID:   fmt.Sprintf("ended-%d", id),
			APIUserName: commands.APIUserName("", r.ID, user),
			CreatedAt:   created.Add(time.Minute),
			ExpiresAt:   expires,
		}
	}
	first := uint64(startupFirstLive(n))
	switch {
	case id >= first+startupActive: // pending for an hour: not yet halfway to its timeout
		r.State = commands.StatePending
		r.CreatedAt, r.UpdatedAt = now.Add(-time.Hour), now.Add(-time.Hour)
	case id >= first: // active, expiring after the longest reminder lead time
		r.State = commands.StateActive
		r.CreatedAt, r.UpdatedAt = now.Add(-6*time.Hour), now.Add(-6*time.Hour)
		created = r.CreatedAt
		approve()
		grant(now.Add(48*time.Hour + time.Duration(id-first)*5*time.Minute))
		r.Grant.APIUserID = apiUsers[id-first]
		r.Duration = r.Grant.ExpiresAt.Sub(r.Grant.CreatedAt).Round(time.Hour)
	default:
		switch id % 5 {
		case 0, 1:
			r.State = commands.StateExpired
			approve()
			grant(created.Add(8 * time.Hour))
			r.Grant.RemindersSent = []time.Duration{time.Hour}
			r.UpdatedAt = r.Grant.ExpiresAt
		case 2:
			r.State = commands.StateRevoked
			approve()
			grant(created.Add(8 * time.Hour))
			r.DecidedBy, r.DecidedAt, r.UpdatedAt = user, created.Add(2*time.Hour), created.Add(2*time.Hour)
			r.Grant.Ending = commands.StateRevoked
		case 3:
			r.State = commands.StateDenied
			r.DecidedBy, r.DecidedAt, r.UpdatedAt = startupApprover, created.Add(time.Minute), created.Add(time.Minute)
			r.DecisionNote = "not for this device"
		case 4:
			r.State = commands.StateTimedOut
			r.DecidedAt, r.UpdatedAt = created.Add(48*time.Hour), created.Add(48*time.Hour)
		}
	}
	return r
}

func startupU64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func startupStringIDKey(s string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(s), 0x00), id)
}

// checkStartupFile opens a loaded file with state.Open and reads it back through every
// finder: if state's layout and startupLoad's ever differ, this says so.
func checkStartupFile(tb testing.TB, path string, n int, now time.Time, apiUsers []string) {
	tb.Helper()
	s, err := state.Open(path)
	if err != nil {
		tb.Fatalf("open loaded file: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	first := uint64(startupFirstLive(n))
	for _, id := range []uint64{1, 2, 3, 4, 5, first - 1, first, first + startupActive, uint64(n)} {
		got, err := s.Get(ctx, commands.RequestID(id))
		if err != nil {
			tb.Fatalf("read back request %d: %v", id, err)
		}
		want := startupRequest(n, id, now, apiUsers)
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			tb.Fatalf("request %d read back as\n%s\nwant\n%s", id, g, w)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if st.Requests != uint64(n) || st.Live[commands.StateActive] != startupActive ||
		st.Live[commands.StatePending] != startupPending || st.Outbox != 0 {
		tb.Fatalf("stats of the loaded file: %+v; want %d requests, %d active, %d pending, empty outbox",
			st, n, startupActive, startupPending)
	}
	expiring, err := s.ExpiringBefore(ctx, now.AddDate(1, 0, 0))
	if err != nil {
		tb.Fatal(err)
	}
	if len(expiring) != startupActive || uint64(expiring[0].ID) != first {
		tb.Fatalf("by_expiry of the loaded file: %d grants, want %d from R%d", len(expiring), startupActive, first)
	}
	mine, err := s.ByUser(ctx, startupRequester(uint64(n)), 2)
	if err != nil {
		tb.Fatal(err)
	}
	if len(mine) != 2 || uint64(mine[0].ID) != uint64(n) || uint64(mine[1].ID) != uint64(n)-1000 {
		tb.Fatalf("by_user of the loaded file: got %d requests, want R%d and R%d", len(mine), n, n-1000)
	}
}

// TestStartupLoadMatchesState checks, on a small file, that what startupLoad writes is what
// the store writes: the store finds the loaded requests, moves their index entries on a
// transition (so the keys it deletes are the keys the loader wrote), and gives the next
// request the next id.
func TestStartupLoadMatchesState(t *testing.T) {
	const n = 3_000
	apiUsers := make([]string, startupActive)
	for k := range apiUsers {
		apiUsers[k] = fmt.Sprintf("api-%d", k)
	}
	path := filepath.Join(t.TempDir(), "cakegate.db")
	startupLoad(t, path, n, startupNow, apiUsers)
	checkStartupFile(t, path, n, startupNow, apiUsers)

	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	first := commands.RequestID(startupFirstLive(n))
	for _, id := range []commands.RequestID{first, first + startupActive} { // active, pending
		_, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
			r.State = commands.StateCancelled
			return commands.Change{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for st, want := range map[commands.State]int{commands.StateActive: startupActive - 1, commands.StatePending: startupPending - 1} {
		got, err := s.InState(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("%d requests %s after one left, want %d: the loader's by_state keys are not the store's", len(got), st, want)
		}
	}
	expiring, err := s.ExpiringBefore(ctx, startupNow.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(expiring) != startupActive-1 || (len(expiring) > 0 && expiring[0].ID != first+1) {
		t.Errorf("%d grants in by_expiry after one ended, want %d: the loader's by_expiry keys are not the store's", len(expiring), startupActive-1)
	}
	r := &commands.Request{Requester: startupRequester(1), State: commands.StatePending, CreatedAt: startupNow}
	if err := s.Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	if r.ID != n+1 {
		t.Errorf("next request got id %s, want R%d", r.ID, n+1)
	}
	mine, err := s.ByUser(ctx, r.Requester, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != n/1000+1 || mine[0].ID != r.ID {
		t.Errorf("ByUser(%s): %d requests, want %d, newest %s", r.Requester, len(mine), n/1000+1, r.ID)
	}
}
