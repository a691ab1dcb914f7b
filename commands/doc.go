// Package commands is cakegate's domain and its use cases: who may ask for which Datacake
// access and who may approve it (the policy), the life of a request (the state machine), and
// the operations people and the scheduler perform on requests (Request, Approve, Reveal,
// Reissue, Deny, Cancel, Revoke, Extend, List, Status, Pending, ExpireDue, RemindDue,
// TimeOutPending, LapseUnrevealed, Reconcile, FindLeaks and RevokeLeaked, Deactivated and
// SweepLeavers, …), all methods of Service.
//
// It knows nothing of Slack, bbolt or GraphQL. It declares the small interfaces it needs —
// Store, Journal, AuditReader, Datacake, DeviceDirectory, Groups, Clock — and the
// other packages implement them: state the store, bot/app an adapter over the datacake
// client, bot the groups. The token leaves only through a ShowToken the transport passes to
// Reveal and Reissue. commands/commandstest holds in-memory fakes of each for tests.
//
// A request moves through these states; every move is one compare-and-set in Store.Update,
// and no network call is made inside one:
//
//	pending ──approve (enough)──▶ approved ──requester clicks Reveal──▶ provisioning ──token shown in modal──▶ active
//	   │ deny ─▶ denied              │ not revealed in time ─▶ lapsed   │ create failed for good ─▶ failed
//	   │ cancel ─▶ cancelled         │ cancel ─▶ cancelled              │ not shown, or crash ─▶ approved (user deleted, Reveal again)
//	   │ no decision in time ─▶ timed_out
//	active ──expires──▶ revoking ─▶ expired
//	active ──revoke───▶ revoking ─▶ revoked
//	active ──extension approved──▶ active (later end)
//	active ──Re-issue──▶ provisioning (old API user deleted) ──new token shown──▶ active (same end)
//
// Errors a person can cause are *Error values with a Code (ErrNotApprover, ErrInvalid, …)
// and a message fit to show them; the transport maps the code to its own answer.
package commands
