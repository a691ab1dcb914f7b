// Package etcdtest runs a real etcd server in-process on loopback, for tests of the etcd
// store and of cakegate on it. It is linked only into tests.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startTimeout bounds how long a server may take to become ready.
const startTimeout = 30 * time.Second

// Server is one embedded etcd member, serving clients on Endpoint.
type Server struct {
	Endpoint string
	etcd     *embed.Etcd
}

// Option changes how Start runs the server.
type Option func(*embed.Config)

// WithFsync keeps etcd's fsync on, as a real member runs: for benchmarks that report what
// a commit costs.
func WithFsync() Option { return func(c *embed.Config) { c.UnsafeNoFsync = false } }

// Start runs a one-member etcd cluster in a temporary folder on 127.0.0.1, stopped when the
// test ends. fsync is off unless WithFsync: the tests are about cakegate's semantics, not
// the disk's.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg := embed.NewConfig()
	cfg.Name = "cakegate-test"
	cfg.Dir = tb.TempDir()
	cfg.Logger = "zap"
	// etcd logs its own shutdown as errors; the tests report what matters.
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	client, peer := freeURL(tb), freeURL(tb)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	for _, o := range opts {
		o(cfg)
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		tb.Fatalf("start etcd: %v", err)
	}
	tb.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		tb.Fatalf("etcd failed to start: %v", err)
	case <-time.After(startTimeout):
		e.Server.Stop()
		tb.Fatalf("etcd not ready after %s", startTimeout)
	}
	return &Server{Endpoint: client.String(), etcd: e}
}

// freeURL is an http URL on a loopback port that was free a moment ago.
func freeURL(tb testing.TB) url.URL {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return url.URL{Scheme: "http", Host: addr}
}

// Client returns a new client of s, closed when the test ends.
func (s *Server) Client(tb testing.TB) *clientv3.Client {
	tb.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{s.Endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		tb.Fatalf("etcd client: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a key prefix unique to the test, so tests can share one server.
func Prefix(tb testing.TB) string {
	return fmt.Sprintf("/cakegate-test/%s/", tb.Name())
}
