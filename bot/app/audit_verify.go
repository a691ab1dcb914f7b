package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cakegate/cakegate/state"
)

// verifyAudit is `cakegate audit verify`: it checks the audit chain of the store as it is
// now, keyed events with key (CAKEGATE_AUDIT_KEY_FILE; nil: none), and says how the chain
// is keyed. It exits 0 when the whole chain holds and is checked: keyed with key, or
// unkeyed with no key given (said plainly); 2 when an event does not hold (no retry mends
// that), or the key setting must be fixed first: a keyed chain and no key, another key, or
// a key and a chain not keyed; 1 when the store cannot be read at this moment.
func verifyAudit(ctx context.Context, getenv func(string) string, key *state.AuditKey, stdout, stderr io.Writer) int {
	s, closeSnapshot, err := openSnapshot(ctx, getenv, key)
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return exitCodeOf(err)
	}
	defer closeSnapshot()
	broken, err := s.VerifyAudit(ctx)
	switch {
	case errors.Is(err, state.ErrAuditKeyNeeded):
		held := "no event can be checked without the key"
		if broken > 1 {
			held = fmt.Sprintf("the events before event %d hold; events from %d on can only be checked with the key", broken, broken)
		}
		fmt.Fprintf(stderr, "cakegate: the audit log is keyed from event %d, and %s is not set: %s. "+
			"Set %s to the key file cakegate runs with.\n", broken, auditKeyVariable, held, auditKeyVariable)
		return ExitFix
	case errors.Is(err, state.ErrAuditWrongKey):
		chainKey := "another key"
		if k, kerr := s.AuditKeying(ctx); kerr == nil && k.Keyed() {
			chainKey = "key " + k.KeyID
		}
		fmt.Fprintf(stderr, "cakegate: the audit log is keyed with %s, not with the key in %s (key %s): "+
			"event %d, the first keyed one, is the first that fails. Set %s to the key file cakegate runs with; "+
			"if it is that file, the log was rewritten from event %d on.\n",
			chainKey, auditKeyVariable, key.ID(), broken, auditKeyVariable, broken)
		return ExitFix
	case broken != 0:
		fmt.Fprintf(stderr, "cakegate: the audit log is broken at event %d: %v\n", broken, err)
		return ExitFix
	case err != nil:
		fmt.Fprintln(stderr, "cakegate:", err)
		return ExitRetry
	}
	st, err := s.Stats(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return ExitRetry
	}
	k, err := s.AuditKeying(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return ExitRetry
	}
	fmt.Fprintf(stdout, "audit log intact: %d events, every link of the hash chain holds\n", st.AuditEvents)
	switch {
	case k.Keyed() && k.From == 1:
		fmt.Fprintf(stdout, "keyed from its first event with key %s (HMAC-SHA256), checked with the key in %s\n", k.KeyID, auditKeyVariable)
	case k.Keyed():
		fmt.Fprintf(stdout, "keyed from event %d with key %s (HMAC-SHA256), checked with the key in %s; "+
			"the events before event %d are unkeyed (written before the key was set) and covered by event %d's HMAC as they are now\n",
			k.From, k.KeyID, auditKeyVariable, k.From, k.From)
	case key != nil:
		fmt.Fprintf(stderr, "cakegate: but the chain is not keyed, although %s is set: if you have just set it, "+
			"start cakegate once and it keys the chain from its next event; if cakegate has run with this key, "+
			"the chain was rewritten without it.\n", auditKeyVariable)
		return ExitFix
	default:
		fmt.Fprintf(stdout, "the chain is unkeyed: %s; %s\n", unkeyedRisk, howToKey)
	}
	return ExitOK
}
