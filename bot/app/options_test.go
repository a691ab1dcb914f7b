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

	"github.com/cakegate/cakegate/bot/slacktest"
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
	dc := datacaketest.NewServer(t)
	const ws, token = "ws-1", "dc-token"
	dc.AddWorkspace(ws, "Acme", "acme")
	dc.AddToken(token, map[string][]string{ws: {"members"}})
	sl := slacktest.New()
	sl.Start()
	defer sl.Close()

	dir := t.TempDir()
	policy := "workspace: " + ws + "\napprovals_channel: C0APPROVALS\napprovers: [U0ANN]\nroles:\n  viewer:\n    max_duration: 8h\n"
	if err := os.WriteFile(filepath.Join(dir, "cakegate.yaml"), []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		SlackBotToken: slacktest.DefaultBotToken, SlackSigningSecret: "s", SlackAPIURL: sl.URL(),
		DatacakeToken: token, DatacakeAPIURL: dc.URL(),
		PolicyPath: filepath.Join(dir, "cakegate.yaml"), DBPath: filepath.Join(dir, "cakegate.db"), LogFormat: "text",
	}
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
	if got := strings.Join(names, ","); got != "expire,remind,pending,reconcile,outbox" {
		t.Fatalf("Jobs() = %s", got)
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
