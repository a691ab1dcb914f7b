package app

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cakegate/cakegate/state/etcdstore"
)

// storeKind is CAKEGATE_STORE as serve reads it: trimmed, bbolt when unset. The operator
// commands read it the same way, so " etcd" means etcd to all of them.
func storeKind(getenv func(string) string) string {
	return orDefault(strings.TrimSpace(getenv("CAKEGATE_STORE")), storeBbolt)
}

// loadStoreConfig reads which store to use: CAKEGATE_STORE (bbolt, the default, or etcd)
// and, for etcd, CAKEGATE_ETCD_ENDPOINTS (comma-separated client URLs),
// CAKEGATE_ETCD_PREFIX, the TLS client files CAKEGATE_ETCD_CA, CAKEGATE_ETCD_CERT and
// CAKEGATE_ETCD_KEY, and CAKEGATE_ETCD_MAX_TXN_OPS when the servers allow more than etcd's
// default. Problems are reported through bad, each naming its variable.
func loadStoreConfig(c *Config, getenv func(string) string, bad func(string, ...any)) {
	c.Store = storeKind(getenv)
	switch c.Store {
	case storeBbolt:
		// Only the bbolt file needs a writable folder; etcd replicas need none.
		if msg := checkDBPath(c.DBPath); msg != "" {
			bad("%s", msg)
		}
		return
	case storeEtcd:
	default:
		bad("CAKEGATE_STORE=%q: use bbolt (one process, the file CAKEGATE_DB) or etcd (several replicas).", c.Store)
		return
	}
	c.Etcd = etcdConfig(getenv)
	if len(c.Etcd.Endpoints) == 0 {
		bad("CAKEGATE_ETCD_ENDPOINTS is not set: CAKEGATE_STORE=etcd needs the etcd members' client URLs, like https://etcd-0:2379,https://etcd-1:2379.")
	}
	for _, e := range c.Etcd.Endpoints {
		if err := checkURL(e); err != nil {
			bad("CAKEGATE_ETCD_ENDPOINTS: %v", err)
		}
	}
	if p := c.Etcd.Prefix; !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		bad("CAKEGATE_ETCD_PREFIX=%q: give a key prefix that starts and ends with /, like /cakegate/.", p)
	}
	if (c.Etcd.CertFile == "") != (c.Etcd.KeyFile == "") {
		bad("CAKEGATE_ETCD_CERT and CAKEGATE_ETCD_KEY go together: set both for a TLS client certificate, or neither.")
	}
	for name, file := range map[string]string{"CAKEGATE_ETCD_CA": c.Etcd.CAFile, "CAKEGATE_ETCD_CERT": c.Etcd.CertFile, "CAKEGATE_ETCD_KEY": c.Etcd.KeyFile} {
		if file == "" {
			continue
		}
		if _, err := os.Stat(file); err != nil {
			bad("%s: cannot read %s: %v", name, file, errors.Unwrap(err))
		}
	}
	c.EtcdSessionTTL = DefaultSessionTTL
	if v := getenv("CAKEGATE_ETCD_SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d%time.Second != 0 || d > time.Minute {
			bad("CAKEGATE_ETCD_SESSION_TTL=%q: give whole seconds between 1s and 60s, like 5s: how soon a dead replica's work passes to another.", v)
		}
		c.EtcdSessionTTL = d
	}
	if v := getenv("CAKEGATE_ETCD_MAX_TXN_OPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < etcdstore.DefaultMaxTxnOps {
			bad("CAKEGATE_ETCD_MAX_TXN_OPS=%q: give the etcd servers' --max-txn-ops, at least %d.", v, etcdstore.DefaultMaxTxnOps)
		}
		c.Etcd.MaxTxnOps = n
	}
}

// etcdConfig reads the etcd settings as they are, for serve, check-config and migrate.
func etcdConfig(getenv func(string) string) etcdstore.Config {
	var endpoints []string
	for _, e := range strings.Split(getenv("CAKEGATE_ETCD_ENDPOINTS"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			endpoints = append(endpoints, e)
		}
	}
	return etcdstore.Config{
		Endpoints: endpoints,
		Prefix:    orDefault(strings.TrimSpace(getenv("CAKEGATE_ETCD_PREFIX")), etcdstore.DefaultPrefix),
		CAFile:    strings.TrimSpace(getenv("CAKEGATE_ETCD_CA")),
		CertFile:  strings.TrimSpace(getenv("CAKEGATE_ETCD_CERT")),
		KeyFile:   strings.TrimSpace(getenv("CAKEGATE_ETCD_KEY")),
	}
}
