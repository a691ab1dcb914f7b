package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// rememberBurst is how many Slack requests arrive at once in BenchRememberBurst, as in
// bot's BenchmarkAckLatency.
const rememberBurst = 500

// BenchRememberBurst measures what the replay record adds to each Slack request's
// acknowledgement: rememberBurst new keys remembered at once (each request's signature),
// then the same keys again (their replays). It reports the p50 and p99 of both, in µs.
func BenchRememberBurst(b *testing.B, m commands.Memos) {
	ctx := context.Background()
	var fresh, again []time.Duration
	for n := range b.N {
		now := time.Now()
		for i, out := range []*[]time.Duration{&fresh, &again} {
			got := make([]time.Duration, rememberBurst)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for k := range rememberBurst {
				wg.Go(func() {
					<-start
					began := time.Now()
					first, err := m.Remember(ctx, fmt.Sprintf("sig:bench-%d-%d", n, k), now, now.Add(11*time.Minute))
					got[k] = time.Since(began)
					if err != nil || first != (i == 0) {
						b.Errorf("Remember: %v, %v", first, err)
					}
				})
			}
			close(start)
			wg.Wait()
			*out = append(*out, got...)
		}
	}
	for _, s := range []struct {
		name string
		lat  []time.Duration
	}{{"new", fresh}, {"replay", again}} {
		slices.Sort(s.lat)
		b.ReportMetric(float64(s.lat[len(s.lat)/2].Microseconds()), s.name+"-p50-µs")
		b.ReportMetric(float64(s.lat[len(s.lat)*99/100].Microseconds()), s.name+"-p99-µs")
	}
}
