package sandbox

import (
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/state"
)

// unreachableEndpoints are two etcd endpoints on loopback that cannot answer: a port where
// nothing listens, and one that accepts connections and never says a word.
func unreachableEndpoints(t *testing.T) map[string]string {
	t.Helper()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nothing := closed.Addr().String()
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		var held []net.Conn // kept open, unanswered, until the listener closes
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return map[string]string{"NothingListens": "http://" + nothing, "NeverAnswers": "http://" + silent.Addr().String()}
}

// TestEtcdUnreachable: every command that talks to etcd, given an etcd it cannot reach,
// fails within 10 s, naming the endpoint, what it tried and what to check; serve exits 1
// (worth a restart), check-config reports it as a failed check.
func TestEtcdUnreachable(t *testing.T) {
	w := newCheckConfigWorld(t)
	cakegateBinary(t) // built before any clock starts
	commands := map[string][]string{
		"Serve": {"serve"}, "CheckConfig": {"check-config"}, "Migrate": {"migrate", "--to", "etcd"},
		"Backup": {"backup", "backup.db"}, "AuditExport": {"audit", "export"}, "AuditVerify": {"audit", "verify"},
	}
	for name, endpoint := range unreachableEndpoints(t) {
		base := w.env(t, sandboxPolicy, "CAKEGATE_STORE=etcd", "CAKEGATE_ETCD_ENDPOINTS="+endpoint)
		for command, args := range commands {
			t.Run(name+"/"+command, func(t *testing.T) {
				t.Parallel()
				// Each its own database (migrate copies one, and one process holds it at a
				// time) and backup target (an existing one is refused).
				dir := t.TempDir()
				db := filepath.Join(dir, "cakegate.db")
				s, err := state.Open(db)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if command == "Backup" {
					args = []string{"backup", filepath.Join(dir, "backup.db")}
				}
				env := append(slices.Clone(base), "CAKEGATE_DB="+db)
				began := time.Now()
				out, errOut, code := runBinary(t, env, args...)
				took := time.Since(began)
				t.Logf("exit %d after %v:\n%s%s", code, took.Round(10*time.Millisecond), out, errOut)
				if code != 1 {
					t.Errorf("exit %d, want 1", code)
				}
				if took > 10*time.Second {
					t.Errorf("took %v, want at most 10 s", took)
				}
				for _, want := range []string{"cannot reach etcd at " + endpoint, "cakegate tried to", "CAKEGATE_ETCD_ENDPOINTS", "TLS", "network"} {
					if !strings.Contains(out+errOut, want) {
						t.Errorf("want %q in what it said", want)
					}
				}
			})
		}
	}
}
