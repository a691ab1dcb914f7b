package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// migrate brings a store written with schema version from up to schemaVersion. Each step is
// safe to run twice, and to run on two replicas starting at once: it writes only what the
// newer layout derives from what is there, each key guarded by the record it comes from.
func (s *Store) migrate(ctx context.Context, from int) error {
	if from < 2 {
		if err := s.migratePendingByUser(ctx); err != nil {
			return err
		}
	}
	if from < 3 {
		if err := s.migrateFingerprints(ctx); err != nil {
			return err
		}
	}
	_, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(s.keys.of(keySchemaVersion)), "=", strconv.Itoa(from))).
		Then(clientv3.OpPut(s.keys.of(keySchemaVersion), strconv.Itoa(schemaVersion))).
		Commit()
	if err != nil {
		return fmt.Errorf("etcd: record schema version %d: %w", schemaVersion, err)
	}
	return nil
}

// migratePendingByUser adds the pending_by_user key of every pending request (schema
// version 2).
func (s *Store) migratePendingByUser(ctx context.Context) error {
	return s.indexEach(ctx, []commands.State{commands.StatePending}, func(r *commands.Request) string {
		if r.State != commands.StatePending {
			return ""
		}
		return s.keys.pendingByUser(r.Requester, r.ID)
	})
}

// migrateFingerprints adds the live_fingerprints key of every live grant (schema version 3).
func (s *Store) migrateFingerprints(ctx context.Context) error {
	return s.indexEach(ctx, []commands.State{commands.StateActive, commands.StateProvisioning}, func(r *commands.Request) string {
		fp := commands.LiveFingerprint(r)
		if fp == "" {
			return ""
		}
		return s.keys.fingerprint(fp, r.ID)
	})
}

// indexEach writes, for every request in states, the index key indexKey derives from it
// ("" for none). Each key is written only if its request has not changed since it was read:
// a request that changed meanwhile was written by this code, which keeps the index itself.
func (s *Store) indexEach(ctx context.Context, states []commands.State, indexKey func(*commands.Request) string) error {
	for _, st := range states {
		resp, err := s.client.Get(ctx, s.keys.byStatePrefix(st), clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			return fmt.Errorf("etcd read %s requests: %w", st, err)
		}
		for _, kv := range resp.Kvs {
			n, err := lastNum(string(kv.Key))
			if err != nil {
				return fmt.Errorf("index key %q does not end in an id: the etcd store is damaged", kv.Key)
			}
			key := s.keys.request(commands.RequestID(n))
			got, err := s.client.Get(ctx, key)
			if err != nil {
				return fmt.Errorf("etcd read request %d: %w", n, err)
			}
			if len(got.Kvs) == 0 {
				continue
			}
			r, err := state.DecodeRequest(commands.RequestID(n), got.Kvs[0].Value)
			if err != nil {
				return err
			}
			index := indexKey(r)
			if index == "" {
				continue
			}
			_, err = s.client.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(key), "=", got.Kvs[0].ModRevision)).
				Then(clientv3.OpPut(index, "")).
				Commit()
			if err != nil {
				return fmt.Errorf("etcd index request %d: %w", n, err)
			}
		}
	}
	return nil
}
