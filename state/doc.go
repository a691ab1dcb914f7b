// Package state keeps cakegate's requests in a bbolt file: the requests themselves, the
// indexes the scheduler sweeps (expiry, live states, per user), the outbox of Slack
// notifications, and a hash-chained audit log.
//
// Every write is one bbolt read-write transaction that writes the request, its index keys,
// its audit events and its notifications together, so a crash never leaves one without the
// others. Every question the scheduler asks is answered from an index, so its cost follows
// the size of the answer, not the number of stored requests.
//
// The records (requests, notifications, audit records and their hash chain) and the rules
// for which requests each index holds are shared with the etcd store, state/etcdstore
// (records.go), and a whole store's content moves between the two as a Content
// (transfer.go): for `cakegate migrate --to etcd` and for backups of the etcd store.
package state
