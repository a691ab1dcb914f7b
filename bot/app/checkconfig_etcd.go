package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state/etcdstore"
)

// checkEtcd checks the etcd store: every endpoint answers, the client may read and write
// under the prefix, and the prefix is either empty (the first start creates the store) or
// a cakegate store, whose installation is shown as checkDatabase shows the file's.
func checkEtcd(ctx context.Context, c *checker, cfg Config) {
	// A healthy cluster answers in milliseconds; ProbeStore waits etcdstore.ReachTimeout
	// for the first answer, and as long for each member's.
	p, err := etcdstore.ProbeStore(ctx, cfg.Etcd)
	var unreachable *etcdstore.UnreachableError
	if errors.As(err, &unreachable) {
		// It names the endpoints, what was tried and what to check. A cluster down at this
		// moment and a wrong endpoint look alike from here: exit 1, as serve does.
		c.unavailable("%v", err)
		return
	}
	if err != nil {
		c.unavailable("%v: check CAKEGATE_ETCD_ENDPOINTS, the TLS settings (CAKEGATE_ETCD_CA/CERT/KEY) and the network", err)
		return
	}
	c.ok("etcd answers: %s", strings.Join(p.Members, "; "))
	if p.WriteErr != nil {
		c.fail("etcd refuses writes under %s (%v): grant cakegate's etcd user readwrite on the prefix", cfg.Etcd.Prefix, p.WriteErr)
	}
	switch {
	case p.Keys == 0:
		c.ok("etcd prefix %s is empty: the first start creates the store with a new installation id; to keep a bbolt database's grants, run cakegate migrate --to etcd first", cfg.Etcd.Prefix)
		checkAuditKeying(c, cfg, p.AuditKeying, 0)
	case p.Installation == "":
		c.fail("etcd prefix %s holds %s but no cakegate installation: another program's keys, or a migration that did not finish; choose another CAKEGATE_ETCD_PREFIX, or delete the prefix and migrate again", cfg.Etcd.Prefix, commands.Plural(int(p.Keys), "key", "keys"))
	default:
		c.ok("etcd prefix %s: installation %s, created %s", cfg.Etcd.Prefix, p.Installation, p.CreatedAt.UTC().Format(time.RFC3339))
		checkAuditKeying(c, cfg, p.AuditKeying, p.AuditEvents)
	}
}
