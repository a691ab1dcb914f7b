package sandbox

import (
	"context"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/state/etcdstore"
	"github.com/cakegate/cakegate/state/etcdstore/etcdtest"
)

// TestCheckConfigEtcd: with CAKEGATE_STORE=etcd, check-config checks the connection, the
// permission to write under the prefix, and what the prefix holds, writing nothing.
func TestCheckConfigEtcd(t *testing.T) {
	t.Parallel() // mostly waits for the unreachable etcd's timeout
	w := newCheckConfigWorld(t)
	srv := etcdtest.Start(t)
	prefix := etcdtest.Prefix(t)
	etcd := []string{"CAKEGATE_STORE=etcd", "CAKEGATE_ETCD_ENDPOINTS=" + srv.Endpoint, "CAKEGATE_ETCD_PREFIX=" + prefix}
	var installation string
	tests := []struct {
		name  string
		env   []string
		setup func()
		want  []string
	}{
		{"OKEmptyPrefix", nil, nil, []string{"ok    etcd answers: " + srv.Endpoint + ": etcd 3.", "is empty: the first start creates the store"}},
		{"OKStore", nil, func() {
			s, err := etcdstore.Open(context.Background(), srv.Client(t), prefix)
			if err != nil {
				t.Fatal(err)
			}
			installation, _, _ = s.Installation()
		}, []string{"ok    etcd prefix " + prefix + ": installation "}},
		{"ErrForeignKeys", []string{"CAKEGATE_ETCD_PREFIX=/other/"}, func() {
			if _, err := srv.Client(t).Put(context.Background(), "/other/x", "y"); err != nil {
				t.Fatal(err)
			}
		}, []string{"FAIL  etcd prefix /other/ holds 1 key but no cakegate installation"}},
		{"ErrUnreachable", []string{"CAKEGATE_ETCD_ENDPOINTS=http://127.0.0.1:1"}, nil, []string{"FAIL  cannot reach etcd at http://127.0.0.1:1", "Check CAKEGATE_ETCD_ENDPOINTS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			out, errOut, code := runBinary(t, w.env(t, sandboxPolicy, append(etcd, tt.env...)...), "check-config")
			wantCode := 2
			switch {
			case strings.HasPrefix(tt.name, "OK"):
				wantCode = 0
			case strings.Contains(tt.name, "Unreachable"):
				wantCode = 1 // etcd did not answer: nothing to fix, try again
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d:\n%s%s", code, wantCode, out, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("want %q in:\n%s", want, out)
				}
			}
			if tt.name == "OKStore" && !strings.Contains(out, installation) {
				t.Errorf("want installation %s in:\n%s", installation, out)
			}
		})
	}
}
