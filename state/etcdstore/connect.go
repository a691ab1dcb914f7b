package etcdstore

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Config says how to reach etcd and where the store lives in it.
type Config struct {
	// Endpoints are the etcd members' client URLs (https://etcd-0:2379, …).
	Endpoints []string
	// Prefix is the key prefix of the store; DefaultPrefix if empty. Several cakegate
	// installations can share a cluster under different prefixes.
	Prefix string
	// CAFile, CertFile and KeyFile are the TLS client settings: the CA that signed the
	// servers' certificates, and this client's certificate and key. CAFile alone gives
	// server-verified TLS; none gives plain connections (loopback and tests).
	CAFile, CertFile, KeyFile string
	// DialTimeout bounds connecting; DefaultDialTimeout if zero.
	DialTimeout time.Duration
	// MaxTxnOps is the servers' max-txn-ops; DefaultMaxTxnOps if zero.
	MaxTxnOps int
}

// DefaultDialTimeout is how long Connect waits for etcd.
const DefaultDialTimeout = 5 * time.Second

// Dial connects to etcd as cfg says. The client logs nothing: cakegate reports etcd's
// errors where they matter, in its own log.
func Dial(cfg Config) (*clientv3.Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("no etcd endpoints given")
	}
	var tlsConfig *tls.Config
	if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		if (cfg.CertFile == "") != (cfg.KeyFile == "") {
			return nil, fmt.Errorf("etcd TLS: give both a client certificate and its key, or neither")
		}
		info := transport.TLSInfo{CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, TrustedCAFile: cfg.CAFile}
		var err error
		if tlsConfig, err = info.ClientConfig(); err != nil {
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
	}
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: timeout,
		TLS:         tlsConfig,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %s: %w: check CAKEGATE_ETCD_ENDPOINTS", strings.Join(cfg.Endpoints, ", "), err)
	}
	return client, nil
}

// Connect dials etcd and opens the store under cfg.Prefix with opts (an audit key); Close
// closes the connection.
func Connect(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	client, err := Dial(cfg)
	if err != nil {
		return nil, err
	}
	if err := Reach(ctx, client, cfg); err != nil {
		client.Close()
		return nil, err
	}
	if cfg.MaxTxnOps > 0 {
		opts = append([]Option{WithMaxTxnOps(cfg.MaxTxnOps)}, opts...)
	}
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := Open(octx, client, cfg.Prefix, opts...)
	if err != nil {
		client.Close()
		if u := unreachable(octx, cfg.Endpoints, "open the store under "+orDefaultPrefix(cfg.Prefix), err); u != nil {
			return nil, u // answered the first read, then stopped answering
		}
		return nil, err
	}
	s.owned = true
	return s, nil
}
