package etcdstore

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cakegate/cakegate/commands"
)

// Store follows and answers the index of live tokens.
var _ commands.Fingerprints = (*Store)(nil)

// LookupFingerprints returns those of fps whose token is live, with their requests, from
// the live_fingerprints index as it is now (a linearizable read: a grant committed before
// it is seen). It implements commands.Fingerprints.
func (s *Store) LookupFingerprints(ctx context.Context, fps []string) (map[string]commands.RequestID, error) {
	out := map[string]commands.RequestID{}
	for len(fps) > 0 {
		n := min(len(fps), s.maxTxnOps)
		ops := make([]clientv3.Op, n)
		for i, fp := range fps[:n] {
			ops[i] = clientv3.OpGet(s.keys.fingerprintOf(fp), clientv3.WithPrefix(), clientv3.WithKeysOnly())
		}
		resp, err := s.client.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, fmt.Errorf("etcd look up fingerprints: %w", err)
		}
		for _, r := range resp.Responses {
			for _, kv := range r.GetResponseRange().GetKvs() {
				if fp, id, ok := s.parseFingerprintKey(string(kv.Key)); ok {
					out[fp] = id
				}
			}
		}
		fps = fps[n:]
	}
	return out, nil
}

// FollowFingerprints reads the live_fingerprints index and then watches it from the
// revision it read, so no change in between is missed: load gets the whole set, change
// each key put (live) or deleted. It returns when ctx ends (nil) or the watch fails (a
// compaction past its revision, the cluster unreachable); the caller follows again. It
// implements commands.Fingerprints.
func (s *Store) FollowFingerprints(ctx context.Context, load func(map[string]commands.RequestID), change func(fp string, id commands.RequestID, live bool)) error {
	dir := s.keys.prefix + dirFingerprints
	resp, err := s.client.Get(ctx, dir, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return fmt.Errorf("etcd read fingerprints: %w", err)
	}
	all := map[string]commands.RequestID{}
	for _, kv := range resp.Kvs {
		if fp, id, ok := s.parseFingerprintKey(string(kv.Key)); ok {
			all[fp] = id
		}
	}
	load(all)
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	watch := s.client.Watch(wctx, dir, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
	for wr := range watch {
		if err := wr.Err(); err != nil {
			return fmt.Errorf("etcd watch fingerprints: %w", err)
		}
		for _, ev := range wr.Events {
			if fp, id, ok := s.parseFingerprintKey(string(ev.Kv.Key)); ok {
				change(fp, id, ev.Type == clientv3.EventTypePut)
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("etcd watch fingerprints: the watch ended")
}

// parseFingerprintKey splits a live_fingerprints key into the fingerprint and the request.
func (s *Store) parseFingerprintKey(key string) (string, commands.RequestID, bool) {
	rest, ok := strings.CutPrefix(key, s.keys.prefix+dirFingerprints)
	if !ok {
		return "", 0, false
	}
	fp, idPart, ok := strings.Cut(rest, "/")
	if !ok {
		return "", 0, false
	}
	n, err := parseNum(idPart)
	if err != nil {
		return "", 0, false
	}
	return fp, commands.RequestID(n), true
}
