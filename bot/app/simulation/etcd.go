package simulation

import (
	"context"
	"fmt"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/state/etcdstore"
)

// Etcd is the etcd cluster the replicas of every history share, each history under a
// prefix of its own. The test starts one server for all seeds (starting one per seed would
// cost more than most histories).
type Etcd struct {
	// Endpoint is the cluster's client URL.
	Endpoint string
	// admin is the driver's own client: it ends a killed replica's session and reads what
	// the store holds.
	admin *clientv3.Client
	// histories counts the histories run, so two runs of one seed use two prefixes.
	histories atomic.Uint64
}

// ConnectEtcd connects the simulation to the etcd cluster at endpoint.
func ConnectEtcd(endpoint string) (*Etcd, error) {
	c, err := etcdstore.Dial(etcdstore.Config{Endpoints: []string{endpoint}})
	if err != nil {
		return nil, err
	}
	return &Etcd{Endpoint: endpoint, admin: c}, nil
}

// Close closes the driver's client.
func (e *Etcd) Close() error { return e.admin.Close() }

// prefixFor is a fresh prefix for a history of seed.
func (e *Etcd) prefixFor(seed uint64) string {
	return fmt.Sprintf("/cakegate-sim/%d-%d/", seed, e.histories.Add(1))
}

// values calls fn with every value stored under prefix: what the database holds.
func (e *Etcd) values(prefix string, fn func(v []byte)) error {
	resp, err := e.admin.Get(context.Background(), prefix, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	for _, kv := range resp.Kvs {
		fn(kv.Key)
		fn(kv.Value)
	}
	return nil
}
