package sandbox

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// BenchmarkLeakToDelete measures, on the real clock, the delay from a message event that
// holds a live token reaching cakegate to its API user's delete arriving at the fake
// Datacake. Each iteration reveals one grant (the real flow, through both fakes), then
// posts its token in a channel. The promise is ≤ 2 s (DESIGN.md, issue 15).
//
//	go test -run '^$' -bench LeakToDelete -benchtime 20x .
func BenchmarkLeakToDelete(b *testing.B) {
	s, err := newSandbox(sandboxOptions{realClock: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.slack.AddChannel(leakChannel, "general")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var delays []time.Duration
	for i := range b.N {
		b.StopTimer()
		id := commands.RequestID(i + 1)
		token, err := s.grantViewer(ctx, id, "1h")
		if err != nil {
			b.Fatal(err)
		}
		_, ev, err := s.slack.UserPosts(sandboxCarol, leakChannel, "does this work? "+token)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sent := time.Now()
		if err := s.event(ctx, ev); err != nil {
			b.Fatal(err)
		}
		if err := s.datacake.WaitAnswered(ctx, "DeleteApiUser", i+1); err != nil {
			b.Fatalf("the leaked token of %s was not deleted: %v", id, err)
		}
		calls := s.datacake.Calls()
		for j := len(calls) - 1; j >= 0; j-- {
			if calls[j].Operation == "DeleteApiUser" {
				delays = append(delays, calls[j].Time.Sub(sent))
				break
			}
		}
	}
	b.StopTimer()
	slices.Sort(delays)
	pct := func(p float64) time.Duration { return delays[min(len(delays)-1, int(p*float64(len(delays))))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Microseconds())/1000, "max-ms")
	if p99 := pct(0.99); p99 > 2*time.Second {
		b.Errorf("p99 delay %v from the message to the delete, want ≤ 2s", p99)
	}
}
