// Package etcdstore keeps cakegate's requests in etcd, so several cakegate replicas can
// share them. It implements the same ports as package state, the bbolt store, with the
// same semantics and the same records (state's encoding functions write both).
//
// Every write is one etcd transaction (Txn) that writes the request, its index keys, its
// audit records and its notifications together, guarded by compare-and-set on the
// ModRevision of every key it read: the request and the head, which holds the counters
// (request ids, audit sequence, notification ids) and the audit chain's newest hash. A
// conflict re-reads and runs the change again, so a use case's check of the current state
// is a compare-and-set across replicas as it is within one process with bbolt. Nothing is
// sent to Slack or Datacake between the read and the commit.
//
// Every question the scheduler asks is answered from an index prefix, read with the
// requests it names at one revision, so its cost follows the size of the answer.
package etcdstore
