package state_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/state"
)

// BenchmarkExpireSweep measures one expiry sweep as the scheduler runs it: Service.ExpireDue
// over the real store, which finds the due grants in the expiry index and moves each through
// two transactions (active → revoking, API user deleted, revoking → expired), each writing
// the request, its index moves, an audit event and, on the second, two notifications.
// Datacake is a fake that deletes at once, so what is measured is cakegate's own cost.
//
// Every iteration finds D = 1,000 due grants among N stored requests: the grants the last
// sweep expired are written back, active with their expired grant, before the clock starts.
// N=1,000,000 should cost about what N=10,000 does, since the sweep's cost follows what is
// due, not what is stored. Sync=on is production (every commit is fsynced, so the disk's
// sync latency dominates); Sync=off (test-only) shows the store's own cost.
func BenchmarkExpireSweep(b *testing.B) {
	const due = 1_000
	// The sweep writes to its file, so each N gets a private copy of the file BulkLoad
	// made (cached for the run, and read unchanged by BenchmarkExpiringBefore), shared
	// by that N's cases; the copies go with this benchmark's temporary directory.
	dir := b.TempDir()
	prepared := map[int]*sweepFile{}
	for _, tc := range []struct {
		n    int
		sync bool
	}{
		{1_000_000, true},
		{10_000, true},
		{1_000_000, false},
		{10_000, false},
	} {
		name := fmt.Sprintf("N=%d/D=%d/Sync=%s", tc.n, due, map[bool]string{true: "on", false: "off"}[tc.sync])
		b.Run(name, func(b *testing.B) {
			b.StopTimer() // until the sweep: loading, copying and opening are not measured
			f := prepared[tc.n]
			if f == nil {
				f = prepareSweepFile(b, dir, tc.n, due)
				prepared[tc.n] = f
			}
			var opts []state.Option
			if !tc.sync {
				opts = append(opts, state.WithoutSync())
			}
			s, err := state.Open(f.path, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			dc := &sweepDatacake{}
			svc := &commands.Service{
				Policy:   &commands.Policy{},
				Store:    s,
				Datacake: dc,
				Clock:    commandstest.NewClock(t0), // stands still: the same requests are due in every iteration
			}
			ctx := context.Background()
			b.ReportAllocs()
			for range b.N {
				state.RestoreRequests(b, s, f.armed)
				b.StartTimer()
				res, err := svc.ExpireDue(ctx)
				b.StopTimer()
				if err != nil {
					b.Fatalf("ExpireDue: %v", err)
				}
				if res.Done != due || res.Failed != 0 {
					b.Fatalf("ExpireDue: %+v, want %d done", res, due)
				}
			}
			if got, want := dc.deleted.Load(), int64(due*b.N); got != want {
				b.Fatalf("%d API users deleted in %d sweeps, want %d", got, b.N, want)
			}
			perSweep := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perSweep, "ns/sweep")
			b.ReportMetric(perSweep/due, "ns/due")
		})
	}
}

// sweepFile is a private copy of a bulk-loaded database and the due requests as loaded,
// which RestoreRequests writes back before each sweep.
type sweepFile struct {
	path  string
	armed []*commands.Request
}

func prepareSweepFile(b *testing.B, dir string, n, due int) *sweepFile {
	b.Helper()
	f := &sweepFile{path: filepath.Join(dir, fmt.Sprintf("sweep-n%d.db", n))}
	copySweepFile(b, benchFiles.get(b, n, due, t0), f.path)
	s, err := state.Open(f.path, state.WithoutSync())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f.armed, err = s.ExpiringBefore(context.Background(), t0)
	if err != nil {
		b.Fatal(err)
	}
	if len(f.armed) != due {
		b.Fatalf("%d requests due in the loaded file, want %d", len(f.armed), due)
	}
	return f
}

func copySweepFile(b *testing.B, from, to string) {
	b.Helper()
	start := time.Now()
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(dst, src)
	if err == nil {
		// Written out now, so that the first measured commit does not pay for the copy.
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("copied %d MB in %v", n>>20, time.Since(start).Round(time.Millisecond))
}

// sweepDatacake is a Datacake whose deletions succeed at once; the sweep makes no other call.
type sweepDatacake struct {
	deleted atomic.Int64
}

func (d *sweepDatacake) CreateAPIUser(context.Context, commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	return commands.APIUser{}, "", errors.New("sweepDatacake: the expiry sweep creates no API user")
}

func (d *sweepDatacake) DeleteAPIUser(context.Context, string) error {
	d.deleted.Add(1)
	return nil
}

func (d *sweepDatacake) FindAPIUsers(context.Context, string, string) ([]commands.APIUser, error) {
	return nil, nil
}
