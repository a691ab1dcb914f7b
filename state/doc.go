// Package state keeps cakegate's requests in a bbolt file: the requests themselves, the
// indexes the scheduler sweeps (expiry, live states, per user), the outbox of Slack
// notifications, and a hash-chained audit log.
//
// Every write is one bbolt read-write transaction that writes the request, its index keys,
// its audit events and its notifications together, so a crash never leaves one without the
// others. Every question the scheduler asks is answered from an index, so its cost follows
// the size of the answer, not the number of stored requests.
package state
