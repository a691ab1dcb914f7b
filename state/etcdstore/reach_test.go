package etcdstore_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/state/etcdstore"
)

// TestConnectUnreachable: Connect to an endpoint where nothing listens gives up after
// ReachTimeout with an UnreachableError that names the endpoint, what was tried, what a
// plain connection found, and what to check.
func TestConnectUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close()
	_, err = etcdstore.Connect(context.Background(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: "/p/"})
	var u *etcdstore.UnreachableError
	if !errors.As(err, &u) {
		t.Fatalf("Connect: %v, want an UnreachableError", err)
	}
	for _, want := range []string{endpoint, "read the store under /p/", "connection refused", "CAKEGATE_ETCD_ENDPOINTS", "TLS", "network"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %q", want, err)
		}
	}
}
