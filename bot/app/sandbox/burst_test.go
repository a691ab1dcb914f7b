package sandbox

import (
	"strings"
	"sync"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// TestBurstOfRequestsIsCapped: a script sends 30 requests at once; exactly
// max_open_requests (5) wait for approval, on either store, and every other one is refused
// with words saying why (issue 21.7).
func TestBurstOfRequestsIsCapped(t *testing.T) {
	for name, opts := range map[string]func(t *testing.T) sandboxOptions{
		"bbolt": func(*testing.T) sandboxOptions { return sandboxOptions{} },
		"etcd": func(t *testing.T) sandboxOptions {
			return sandboxOptions{etcdEndpoint: etcdtest.Start(t).Endpoint, etcdPrefix: etcdtest.Prefix(t)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			s := startSandbox(t, opts(t))
			const burst = 30
			answers := make([]string, burst)
			var wg sync.WaitGroup
			for i := range burst {
				wg.Go(func() {
					a, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 for=1h reason="scripted"`)
					if err != nil {
						t.Error(err)
					}
					answers[i] = a
				})
			}
			wg.Wait()
			waiting, refused := 0, 0
			for _, a := range answers {
				switch {
				case strings.Contains(a, "is waiting for approval"):
					waiting++
				case strings.Contains(a, "you already have 5 requests waiting for approval"):
					refused++
				default:
					t.Errorf("unexpected answer %q", a)
				}
			}
			mine, err := s.app.Store().ByUser(ctx, sandboxAlice, 0)
			if err != nil {
				t.Fatal(err)
			}
			pending := 0
			for _, r := range mine {
				if r.State == commands.StatePending {
					pending++
				}
			}
			if waiting != 5 || refused != burst-5 || pending != 5 {
				t.Fatalf("%d told waiting, %d refused, %d pending; want 5, %d, 5", waiting, refused, pending, burst-5)
			}
		})
	}
}
