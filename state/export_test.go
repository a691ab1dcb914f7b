package state

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/commands"
)

// VerifyAuditInChunks is VerifyAudit reading chunk records per transaction, so tests can
// cross chunk boundaries with a short log.
func (s *Store) VerifyAuditInChunks(ctx context.Context, chunk int) (uint64, error) {
	return s.verifyAudit(ctx, chunk)
}

// RewriteAudit stores v as the record of audit event seq, behind the store's back, as
// someone with write access to the file could.
func RewriteAudit(tb testing.TB, s *Store, seq uint64, v []byte) {
	tb.Helper()
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketAudit).Put(u64(seq), v) }); err != nil {
		tb.Fatalf("RewriteAudit: %v", err)
	}
}

// BulkLoad creates a database at path holding n active requests by 1,000 users, of which
// due, spread evenly over the ids, expire by dueBy and the rest an hour or more after it.
// The k-th due request (k from 1) expires at dueBy − (due−k) ms, so ExpiringBefore at
// dueBy − (due−m) ms finds exactly m of them: one file serves every m up to due.
//
// It writes through putRequest, so the indexes are exactly the ones Update keeps, but in
// transactions of 50,000 requests with fsync off, which loads a million requests in seconds
// rather than the hours one synced transaction per request would take.
func BulkLoad(tb testing.TB, path string, n, due int, dueBy time.Time) {
	tb.Helper()
	s, err := Open(path) // creates the buckets and the schema version
	if err != nil {
		tb.Fatalf("BulkLoad: %v", err)
	}
	if err := s.Close(); err != nil {
		tb.Fatalf("BulkLoad: %v", err)
	}
	// Without NoGrowSync bbolt fsyncs every time the file grows, which is every commit here.
	db, err := bbolt.Open(path, fileMode, &bbolt.Options{
		NoSync: true, NoGrowSync: true, InitialMmapSize: 1 << 30,
	})
	if err != nil {
		tb.Fatalf("BulkLoad: %v", err)
	}
	defer db.Close()

	every := n + 1 // no request is due
	if due > 0 {
		every = n / due
	}
	const perTx = 50_000
	for start := 1; start <= n; start += perTx {
		err := db.Update(func(tx *bbolt.Tx) error {
			// Ids only grow, so the append-only buckets can fill their pages.
			tx.Bucket(bucketRequests).FillPercent = 0.95
			tx.Bucket(bucketByState).FillPercent = 0.95
			for i := start; i < start+perTx && i <= n; i++ {
				id, err := tx.Bucket(bucketRequests).NextSequence()
				if err != nil {
					return err
				}
				expires := dueBy.Add(time.Hour + time.Duration(i)*time.Second)
				if k := i / every; i%every == 0 && k <= due {
					expires = dueBy.Add(-time.Duration(due-k) * time.Millisecond)
				}
				r := &commands.Request{
					ID:        commands.RequestID(id),
					Requester: fmt.Sprintf("U%04d", i%1000),
					Workspace: "ws",
					Role:      "viewer",
					State:     commands.StateActive,
					CreatedAt: dueBy.Add(-24 * time.Hour),
					Grant: &commands.Grant{
						APIUserID:   fmt.Sprintf("api-%d", id),
						APIUserName: commands.APIUserName("", commands.RequestID(id), "u1"),
						ExpiresAt:   expires,
					},
				}
				if err := putRequest(tx, nil, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("BulkLoad: %v", err)
		}
	}
	if err := db.Sync(); err != nil {
		tb.Fatalf("BulkLoad: sync: %v", err)
	}
}

// RestoreRequests writes rs back exactly as they are, moving their index entries from what
// is stored now, all in one transaction and without audit events or notifications.
// Benchmarks use it to re-arm, outside the timer, the requests a measured sweep consumed:
// one commit instead of one per request.
func RestoreRequests(tb testing.TB, s *Store, rs []*commands.Request) {
	tb.Helper()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		for _, r := range rs {
			old, err := getRequest(tx, nil, r.ID)
			if err != nil {
				return err
			}
			if err := putRequest(tx, old, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("RestoreRequests: %v", err)
	}
}

// Transactions returns how many write transactions the store ran since it was opened.
func Transactions(s *Store) uint64 { return s.writes.commits.Load() }

// Syncs returns how many write transactions the store committed with something written
// since it was opened: each cost an fsync.
func Syncs(s *Store) uint64 { return s.writes.synced.Load() }

// HoldWrites starts a write that holds the store's commit until release is called, and
// returns once it holds it: writes made meanwhile queue behind it.
func HoldWrites(tb testing.TB, s *Store) (release func()) {
	tb.Helper()
	holding, done := make(chan struct{}), make(chan struct{})
	released := make(chan error, 1)
	go func() {
		released <- s.writes.update(context.Background(), func(*bbolt.Tx) error {
			close(holding)
			<-done
			return errNothingWritten
		})
	}()
	<-holding
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(done)
			if err := <-released; err != nil {
				tb.Errorf("HoldWrites: %v", err)
			}
		})
	}
	// A test that stops before it releases the commit (t.Fatal) must not leave it held:
	// closing the store would wait for it until the test binary times out.
	tb.Cleanup(release)
	return release
}

// PanicNextCommit has the store's next transaction panic inside bbolt, outside any write, as
// bbolt does on a corrupt page.
func PanicNextCommit(s *Store) {
	var once sync.Once
	s.writes.run = func(fn func(*bbolt.Tx) error) error {
		panicked := false
		once.Do(func() { panicked = true })
		if panicked {
			panic("bbolt: page 42 already freed")
		}
		return s.db.Update(fn)
	}
}

// WaitQueued waits until n writes wait behind a held commit (HoldWrites), for at most 20 s.
func WaitQueued(tb testing.TB, s *Store, n int) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.writes.mu.Lock()
		queued := len(s.writes.queue)
		s.writes.mu.Unlock()
		if queued >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("WaitQueued: %d writes queued after 20 s, want %d", queued, n)
		}
		runtime.Gosched()
	}
}
