package state

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"
)

// groupCommit merges writes that arrive while another commit is under way into one bbolt
// transaction and one fsync. bbolt runs one writer at a time and syncs at every commit, so
// with one transaction per write a burst of approvals is bound by the disk's sync latency;
// gathered, the writes waiting behind a commit share the next one.
//
// A write that finds nobody committing commits at once, alone: unlike bbolt's DB.Batch,
// which waits up to 10 ms for company, a quiet store answers as quickly as before.
// Whoever commits is one of the writers (the leader); when it is done it hands the lead to
// the oldest waiting writer, which commits everything that gathered meanwhile.
//
// The writes of one commit run one after another in the order they arrived, each seeing the
// ones before it, so the audit chain continues from write to write in commit order. A
// write that fails (returns an error or panics) must leave the transaction as it found it,
// but bbolt cannot undo part of a transaction: the whole transaction is rolled back and run
// again without the failed write, which gets its error. The others therefore run twice, so
// a write must only change the transaction and values it sets afresh on every run. A
// refusal that is an answer, such as a compare-and-set that does not hold, is best
// returned as a value, with errNothingWritten as the write's result, so it costs the others
// nothing.
type groupCommit struct {
	db *bbolt.DB
	// run runs a transaction: db.Update, unless a test has it fail otherwise.
	run func(fn func(*bbolt.Tx) error) error

	mu      sync.Mutex
	queue   []*groupWrite
	leading bool // a writer is committing; the queue waits for it

	// commits counts the transactions run, committed or not, and synced the ones committed
	// with something written, each an fsync; for tests.
	commits, synced atomic.Uint64
}

// groupWrite is one write waiting to be committed.
type groupWrite struct {
	fn func(tx *bbolt.Tx) error
	// done gets the write's result; lead tells a waiting writer to commit the queue.
	done chan groupResult
	lead chan struct{}
}

type groupResult struct {
	err      error
	panicked any // a panic of fn, raised again in its own goroutine
	didPanic bool
}

// update runs fn in a read-write transaction, shared with the writes waiting beside it,
// and returns once that transaction is committed or fn has failed.
//
// A write still waiting in the queue when ctx ends leaves it and returns ctx's error: it
// was never run, so nothing of it is written, and a caller with a deadline (a Slack
// acknowledgement) is not held by a slow fsync of others. A write already taken into a
// commit waits for the commit's answer instead: it may be written, and its caller must
// hear whether it was.
func (g *groupCommit) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	w := &groupWrite{fn: fn, done: make(chan groupResult, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if g.leading {
		g.mu.Unlock()
		select {
		case r := <-w.done:
			return r.unwrap()
		case <-w.lead:
		case <-ctx.Done():
			if g.leave(w) {
				return ctx.Err()
			}
			// Taken into a commit: the leader answers it.
			return (<-w.done).unwrap()
		}
	} else {
		g.leading = true
		g.mu.Unlock()
	}
	g.lead()
	return (<-w.done).unwrap()
}

// leave takes w out of the queue and reports whether it was still there, that is, not yet
// taken into a commit. A w that was handed the lead but has not taken it passes it on.
func (g *groupCommit) leave(w *groupWrite) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := slices.Index(g.queue, w)
	if i < 0 {
		return false
	}
	g.queue = slices.Delete(g.queue, i, i+1)
	select {
	case <-w.lead:
		g.handOn()
	default:
	}
	return true
}

// lead commits everything queued, then hands the lead on or gives it up.
func (g *groupCommit) lead() {
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	g.commit(batch)

	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOn()
}

// handOn hands the lead to the oldest waiting writer, or gives it up when none waits.
// g.mu must be held.
func (g *groupCommit) handOn() {
	if len(g.queue) == 0 {
		g.leading = false
		return
	}
	g.queue[0].lead <- struct{}{}
}

// commit runs batch in one transaction. A write that fails is answered with its failure
// and the transaction is run again without it; the rest get the commit's result.
func (g *groupCommit) commit(batch []*groupWrite) {
	// bbolt itself may panic (a corrupt page): every write not yet answered gets that panic,
	// raised again in its own goroutine, and the lead goes on to the writes queued after
	// them. Left unanswered, they, and every later write, would wait for ever.
	defer func() {
		if p := recover(); p != nil {
			for _, w := range batch {
				w.done <- groupResult{panicked: p, didPanic: true}
			}
		}
	}()
	run := g.run
	if run == nil {
		run = g.db.Update
	}
	for len(batch) > 0 {
		failed, wrote := -1, false
		var failure groupResult
		g.commits.Add(1)
		err := run(func(tx *bbolt.Tx) error {
			for i, w := range batch {
				r := runWrite(w.fn, tx)
				if r.err == errNothingWritten {
					continue
				}
				if r.err != nil || r.didPanic {
					failed, failure = i, r
					return errWriteFailed
				}
				wrote = true
			}
			if !wrote {
				return errNothingWritten // nothing to commit: spare the disk a sync
			}
			return nil
		})
		if err == errNothingWritten {
			err = nil
		}
		if failed < 0 {
			if err == nil && wrote {
				g.synced.Add(1)
			}
			for _, w := range batch {
				w.done <- groupResult{err: err}
			}
			return
		}
		batch[failed].done <- failure
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

// errNothingWritten is what a write returns when it wrote nothing and has its answer in
// its own variables (a refusal): it fails nothing, and a commit of such writes alone is
// rolled back instead, which costs no sync.
var errNothingWritten = errors.New("nothing written")

// errWriteFailed rolls back a transaction in which one of the writes failed.
var errWriteFailed = errors.New("a write of the group failed")

// runWrite runs fn, catching a panic so that the writers beside it are still answered.
func runWrite(fn func(tx *bbolt.Tx) error, tx *bbolt.Tx) (r groupResult) {
	defer func() {
		if p := recover(); p != nil {
			r = groupResult{panicked: p, didPanic: true}
		}
	}()
	return groupResult{err: fn(tx)}
}

// unwrap returns the write's error, or raises its panic again.
func (r groupResult) unwrap() error {
	if r.didPanic {
		panic(r.panicked)
	}
	return r.err
}
