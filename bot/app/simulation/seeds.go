package simulation

import (
	"fmt"
	"iter"
	"sync"
)

// RunSeeds runs one history per seed, workers at a time, and yields the results in the
// order of seeds. Histories share nothing, so running them side by side changes none of
// them; the first failure (in seed order) stops the rest from starting, unless
// opts.KeepGoing.
func RunSeeds(seeds []uint64, days int, opts Options, workers int) iter.Seq2[*Result, error] {
	return func(yield func(*Result, error) bool) {
		type outcome struct {
			res *Result
			err error
		}
		results := make([]chan outcome, len(seeds))
		for i := range results {
			results[i] = make(chan outcome, 1)
		}
		var (
			mu      sync.Mutex
			stopped bool
			next    int
			wg      sync.WaitGroup
		)
		stop := func() { mu.Lock(); stopped = true; mu.Unlock() }
		take := func() (int, bool) {
			mu.Lock()
			defer mu.Unlock()
			if stopped || next == len(seeds) {
				return 0, false
			}
			next++
			return next - 1, true
		}
		for range max(workers, 1) {
			wg.Go(func() {
				for {
					i, ok := take()
					if !ok {
						return
					}
					res, err := Run(seeds[i], days, opts)
					if err != nil {
						err = fmt.Errorf("seed %d: %w", seeds[i], err)
					}
					results[i] <- outcome{res, err}
				}
			})
		}
		defer func() { stop(); wg.Wait() }()
		for i := range seeds {
			mu.Lock()
			never := stopped && i >= next
			mu.Unlock()
			if never {
				return // stopped before this seed began
			}
			o := <-results[i]
			if !yield(o.res, o.err) {
				return
			}
			if o.err != nil || (o.res.Failure != nil && !opts.KeepGoing) {
				stop()
			}
		}
	}
}
