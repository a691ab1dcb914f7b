package sandbox

import (
	"context"
	"sync"
)

// inflight counts the work cakegate acknowledged to Slack and still runs (app.Options.Go),
// so a test can wait for what a click started to finish, rather than for a sign of it in
// Slack that may come before the work's last step (a reveal shows the token, then marks
// the request active).
type inflight struct {
	mu      sync.Mutex
	running int
	idle    chan struct{} // closed while nothing runs
}

// run is app.Options.Go: it runs work on its own goroutine, as production does, counted.
func (f *inflight) run(work func()) {
	f.mu.Lock()
	if f.running == 0 {
		f.idle = make(chan struct{})
	}
	f.running++
	f.mu.Unlock()
	go func() {
		defer f.done()
		work()
	}()
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running--
	if f.running == 0 {
		close(f.idle)
	}
}

// wait returns once no acknowledged work runs, or with ctx's error.
func (f *inflight) wait(ctx context.Context) error {
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
