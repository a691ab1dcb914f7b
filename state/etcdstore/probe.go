package etcdstore

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/state"
)

// Probe is what check-config learns about the etcd store without writing anything.
type Probe struct {
	// Members are "endpoint: etcd version" for every endpoint that answered.
	Members []string
	// Keys counts the keys under the prefix; 0: the first start creates the store.
	Keys int64
	// Installation and CreatedAt are the store's, when it exists.
	Installation string
	CreatedAt    time.Time
	// WriteErr is why the client may not write under the prefix, or nil.
	WriteErr error
	// AuditEvents and AuditKeying are the audit chain's length and keying, from the head.
	AuditEvents uint64
	AuditKeying state.AuditKeying
}

// ProbeStore connects as cfg says and reports on the cluster and the store under
// cfg.Prefix. It writes nothing: write permission is checked with a transaction whose
// guard never holds, which etcd's authorization checks all the same.
func ProbeStore(ctx context.Context, cfg Config) (Probe, error) {
	var p Probe
	client, err := Dial(cfg)
	if err != nil {
		return p, err
	}
	defer client.Close()
	if err := Reach(ctx, client, cfg); err != nil {
		return p, err
	}
	for _, ep := range cfg.Endpoints {
		sctx, cancel := context.WithTimeout(ctx, ReachTimeout)
		st, err := client.Status(sctx, ep)
		u := unreachable(sctx, []string{ep}, "ask the member for its status", err)
		cancel()
		if u != nil {
			return p, u // the cluster answers, but not this member
		}
		if err != nil {
			return p, fmt.Errorf("etcd member %s does not answer: %w", ep, err)
		}
		p.Members = append(p.Members, ep+": etcd "+st.Version)
	}
	k := keys{prefix: cfg.Prefix}
	if k.prefix == "" {
		k.prefix = DefaultPrefix
	}
	resp, err := client.Txn(ctx).Then(
		clientv3.OpGet(k.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly()),
		clientv3.OpGet(k.of(keyInstallation)),
		clientv3.OpGet(k.of(keyCreatedAt)),
		clientv3.OpGet(k.of(keyHead)),
	).Commit()
	if err != nil {
		return p, fmt.Errorf("etcd: cannot read prefix %s: %w", k.prefix, err)
	}
	p.Keys = resp.Responses[0].GetResponseRange().Count
	if v := rangeValue(resp.Responses[1]); v != nil {
		p.Installation = string(v)
		p.CreatedAt, _ = time.Parse(time.RFC3339, string(rangeValue(resp.Responses[2])))
	}
	if v := rangeValue(resp.Responses[3]); v != nil {
		h, err := decodeHead(v)
		if err != nil {
			return p, err
		}
		p.AuditEvents, p.AuditKeying = h.Audit, h.keying()
	}
	_, p.WriteErr = client.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(k.of(keySchemaVersion)), "<", 0)).
		Then(clientv3.OpPut(k.of("check-config"), "")).
		Commit()
	return p, nil
}
