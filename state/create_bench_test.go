package state_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// BenchmarkCreateAmongPending makes requests with the pending cap checked in the write,
// among 10, 1,000 or 10,000 pending requests of other people: the cap counts the requester's own
// pending requests from their index, so the cost must not grow with the others' (issue
// 21.7). Each person's requests are taken back out of pending once counted, so the
// requester's own count stays under the cap however long it runs.
func BenchmarkCreateAmongPending(b *testing.B) {
	for _, others := range []int{10, 1_000, 10_000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			ctx := context.Background()
			s, err := state.Open(filepath.Join(b.TempDir(), "cakegate.db"), state.WithoutSync())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for i := range others {
				if err := s.Create(ctx, newRequest(fmt.Sprintf("U%d", i)), commands.Change{}, commands.CreateRules{}); err != nil {
					b.Fatal(err)
				}
			}
			rules := commands.CreateRules{MaxPending: 5}
			b.ResetTimer()
			for i := range b.N {
				r := newRequest("U-asking")
				r.Key = fmt.Sprintf("trigger-%d", i)
				if err := s.Create(ctx, r, commands.Change{Audit: []commands.AuditEvent{{At: t0, Action: "requested", To: r.State}}}, rules); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if _, err := s.Update(ctx, r.ID, func(r *commands.Request) (commands.Change, error) {
					r.State = commands.StateDenied
					return commands.Change{}, nil
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
