package sandbox

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	t.Parallel() // mostly waits for the reach timeout
	w := newCheckConfigWorld(t)
	bin := cakegateBinary(t) // built before any clock starts
	commands := map[string][]string{
		"Serve": {"serve"}, "CheckConfig": {"check-config"}, "Migrate": {"migrate", "--to", "etcd"},
		"Backup": {"backup", "backup.db"}, "AuditExport": {"audit", "export"}, "AuditVerify": {"audit", "verify"},
	}
	type run struct {
		name, endpoint string
		cmd            *exec.Cmd
		out, errOut    bytes.Buffer
		took           time.Duration
		err            error
	}
	var runs []*run
	for name, endpoint := range unreachableEndpoints(t) {
		base := w.env(t, sandboxPolicy, "CAKEGATE_STORE=etcd", "CAKEGATE_ETCD_ENDPOINTS="+endpoint)
		for command, args := range commands {
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
			r := &run{name: name + "/" + command, endpoint: endpoint, cmd: exec.Command(bin, args...)}
			r.cmd.Env = append(append(os.Environ(), base...), "CAKEGATE_DB="+db)
			r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.errOut
			runs = append(runs, r)
		}
	}
	// All at once: each waits out the reach timeout, which t.Parallel would take two at a
	// time (GOMAXPROCS) rather than together.
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Go(func() {
			began := time.Now()
			r.err = r.cmd.Run()
			r.took = time.Since(began)
		})
	}
	wg.Wait()
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			code := 0
			if ee, ok := r.err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if r.err != nil {
				t.Fatal(r.err)
			}
			out := r.out.String() + r.errOut.String()
			t.Logf("exit %d after %v:\n%s", code, r.took.Round(10*time.Millisecond), out)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if r.took > 10*time.Second {
				t.Errorf("took %v, want at most 10 s", r.took)
			}
			for _, want := range []string{"cannot reach etcd at " + r.endpoint, "cakegate tried to", "CAKEGATE_ETCD_ENDPOINTS", "TLS", "network"} {
				if !strings.Contains(out, want) {
					t.Errorf("want %q in what it said", want)
				}
			}
		})
	}
}
