package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// countingTransport records the host and path of every call it carries.
type countingTransport struct {
	mu    sync.Mutex
	calls []string
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.calls = append(t.calls, req.URL.Path)
	t.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// Options.Transport carries the Datacake and Slack calls, and Jobs/RunJob run the
// scheduled sweeps one by one: what the simulation drives the app through.
func TestOptionsTransportAndJobs(t *testing.T) {
	_, cfg := optionsWorld(t)
	tr := &countingTransport{}
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	var names []string
	for _, j := range a.Jobs() {
		names = append(names, j.Name)
		if j.Spec == "" {
			t.Errorf("job %s has no spec", j.Name)
		}
	}
	if got := strings.Join(names, ","); got != "expire,remind,pending,review,leavers,reconcile,outbox" {
		t.Fatalf("Jobs() = %s", got)
	}
	// check-config checks the specs of the same jobs, in the same order.
	var checked []string
	for _, e := range scheduleEntries(a.policy.Schedule) {
		checked = append(checked, e[0])
	}
	if got := strings.Join(checked, ","); got != strings.Join(names, ",") {
		t.Fatalf("check-config checks the schedules of %s, but the app runs %s", got, strings.Join(names, ","))
	}
	if err := a.RunJob(context.Background(), "reconcile"); err != nil {
		t.Fatalf("RunJob(reconcile): %v", err)
	}
	if len(tr.calls) != 1 || tr.calls[0] != datacaketest.Path {
		t.Fatalf("the transport carried %v, want reconcile's one Datacake call", tr.calls)
	}
	if err := a.RunJob(context.Background(), "no-such-job"); err == nil {
		t.Fatal("RunJob of an unknown job succeeded")
	}
	if a.Location() == nil {
		t.Fatal("no schedule location")
	}
}

// With Options.NoAlarm nothing sweeps on its own, and SweepDue runs what the alarm would at
// the time Service.NextDue names: a grant that ended is deleted at once.
func TestSweepDueWithNoAlarm(t *testing.T) {
	dc, cfg := optionsWorld(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := commandstest.NewClock(now)
	a, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Clock: clock, NoAlarm: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()

	u := dc.AddAPIUserOutOfBand(optionsWorkspace, "cakegate-test-r1-u0alice")
	r := &commands.Request{
		Requester: "U0ALICE", Role: "viewer", State: commands.StateActive, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour),
		Grant: &commands.Grant{APIUserID: u.ID, APIUserName: u.Name, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(30 * time.Second)},
	}
	if err := a.Store().Create(ctx, r, commands.Change{}, commands.CreateRules{}); err != nil {
		t.Fatal(err)
	}
	// The grant's one-hour reminder is overdue (the grant was made an hour ago): the
	// alarm is due now, and again at the grant's end.
	if due, err := a.Service().NextDue(ctx, now); err != nil || due.After(now) {
		t.Fatalf("NextDue = %v, %v; want due at once (an overdue reminder)", due, err)
	}
	a.SweepDue(ctx)
	if due, err := a.Service().NextDue(ctx, now); err != nil || !due.Equal(r.Grant.ExpiresAt) {
		t.Fatalf("NextDue after the reminder = %v, %v; want the grant's end %v", due, err, r.Grant.ExpiresAt)
	}
	clock.Set(r.Grant.ExpiresAt)
	a.SweepDue(ctx)
	got, err := a.Store().Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != commands.StateExpired {
		t.Fatalf("after SweepDue at the grant's end: %s, want expired", got.State)
	}
	if users := dc.APIUsers(optionsWorkspace); len(users) != 0 {
		t.Fatalf("API users after SweepDue: %+v", users)
	}
}

// optionsWorld is a fake Datacake with one workspace, a fake Slack, a one-role policy and
// the Config that points at them.
func optionsWorld(t *testing.T) (*datacaketest.Server, Config) {
	t.Helper()
	dc := datacaketest.NewServer(t)
	const ws, token = optionsWorkspace, "dc-token"
	dc.AddWorkspace(ws, "Acme", "acme")
	dc.AddToken(token, map[string][]string{ws: {"members"}})
	sl := slacktest.New()
	sl.Start()
	t.Cleanup(sl.Close)

	dir := t.TempDir()
	policy := "workspace: " + ws + "\napprovals_channel: C0APPROVALS\napprovers: [U0ANN]\nroles:\n  viewer:\n    max_duration: 8h\n"
	if err := os.WriteFile(filepath.Join(dir, "cakegate.yaml"), []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	return dc, Config{
		SlackBotToken: slacktest.DefaultBotToken, SlackSigningSecret: "s", SlackAPIURL: sl.URL(),
		DatacakeToken: token, DatacakeAPIURL: dc.URL(),
		PolicyPath: filepath.Join(dir, "cakegate.yaml"), DBPath: filepath.Join(dir, "cakegate.db"), LogFormat: "text",
	}
}

// optionsWorkspace is optionsWorld's Datacake workspace.
const optionsWorkspace = "ws-1"

// TestEverySchedulerCountsPanics: the schedulers the app makes for replicas and for the
// leader on etcd count a job's panic in cakegate_panics_total like the single process's.
func TestEverySchedulerCountsPanics(t *testing.T) {
	_, cfg := optionsWorld(t)
	a, err := New(cfg, slog.New(slog.DiscardHandler), Options{NoAlarm: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ran := make(chan struct{}, 1)
	s, err := a.newScheduler([]job{{"panic", "@every 1h", func(context.Context) error { ran <- struct{}{}; panic("boom") }}})
	if err != nil {
		t.Fatal(err)
	}
	s.start(context.Background())
	<-ran
	s.stop()
	scrapeRegistry(t, a.metrics).Want(t, 1, "cakegate_panics_total", "where", "job")
}
