package state_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

func TestMain(m *testing.M) {
	code := m.Run()
	benchFiles.removeAll()
	os.Exit(code)
}

// benchFiles keeps bulk-loaded databases for the length of one `go test` run, so a
// benchmark run more than once (-count, or a b.N ramp) loads its million requests once.
var benchFiles preparedFiles

type preparedFiles struct {
	mu    sync.Mutex
	dir   string
	paths map[string]string
}

// get returns a database file made by state.BulkLoad(n, due, dueBy), creating it on first
// use.
func (p *preparedFiles) get(b *testing.B, n, due int, dueBy time.Time) string {
	b.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	name := fmt.Sprintf("n%d-d%d.db", n, due)
	if path, ok := p.paths[name]; ok {
		return path
	}
	if p.dir == "" {
		dir, err := os.MkdirTemp("", "cakegate-bench-")
		if err != nil {
			b.Fatal(err)
		}
		p.dir, p.paths = dir, map[string]string{}
	}
	path := filepath.Join(p.dir, name)
	start := time.Now()
	state.BulkLoad(b, path, n, due, dueBy)
	took := time.Since(start).Round(time.Millisecond)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("bulk-loaded %d requests in %v: %d MB", n, took, fi.Size()>>20)
	p.paths[name] = path
	return path
}

func (p *preparedFiles) removeAll() {
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// BenchmarkExpiringBefore shows that the expiry sweep costs what is due, not what is
// stored: N=1,000,000/D=1,000 should take about as long as N=10,000/D=1,000, and
// N=1,000,000/D=10 about a hundredth of that. Every N=1,000,000 case reads the same file,
// loaded once, with its bound set so that D requests are due.
func BenchmarkExpiringBefore(b *testing.B) {
	const loadedDue = 1_000
	for _, tc := range []struct{ n, due int }{
		{1_000_000, 1_000},
		{10_000, 1_000},
		{1_000_000, 10},
	} {
		b.Run(fmt.Sprintf("N=%d/D=%d", tc.n, tc.due), func(b *testing.B) {
			path := benchFiles.get(b, tc.n, loadedDue, t0)
			bound := t0.Add(-time.Duration(loadedDue-tc.due) * time.Millisecond)
			s, err := state.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			for b.Loop() {
				due, err := s.ExpiringBefore(ctx, bound)
				if err != nil {
					b.Fatal(err)
				}
				if len(due) != tc.due {
					b.Fatalf("%d due, want %d", len(due), tc.due)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(tc.due), "ns/due")
		})
	}
}

// BenchmarkUpdateParallel measures approvals through the store: goroutines compare-and-set
// different requests, each update writing the request, its index moves, an audit event and
// a notification, as an approval does. bbolt commits one writer at a time, so with fsync on
// the disk's sync latency bounds it; Sync=off shows the store's own cost.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("Sync=%v", map[bool]string{true: "on", false: "off"}[sync]), func(b *testing.B) {
			opts := []state.Option{}
			if !sync {
				opts = append(opts, state.WithoutSync())
			}
			s, err := state.Open(filepath.Join(b.TempDir(), "cakegate.db"), opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			const requests = 1000
			for range requests {
				if err := s.Create(ctx, newRequest("U1"), commands.Change{}, commands.CreateRules{}); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := commands.RequestID(next.Add(1)%requests + 1)
					_, err := s.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
						// Flip between two states so every update is a real transition with
						// an index move, however many times the request is picked.
						from, to := commands.StatePending, commands.StateProvisioning
						if r.State == to {
							from, to = to, from
						}
						if r.State != from {
							return commands.Change{}, commands.Errorf(commands.CodeWrongState, "%s is %s", r.ID, r.State)
						}
						r.State = to
						// Replaced, not appended, so the request stays the same size however
						// long the benchmark runs.
						r.Approvals = []commands.Approval{{User: "U9", At: t0}}
						return commands.Change{
							Audit:  []commands.AuditEvent{{At: t0, Actor: "U9", Action: "approve", From: from, To: to}},
							Outbox: []commands.Notification{{Kind: commands.NotifyApprovalUpdate, CreatedAt: t0}},
						}, nil
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
