package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// The texts about an unkeyed chain, the same at start, in check-config and in audit verify.
const (
	unkeyedRisk = "anyone who can write the database could rewrite its history and recompute the chain unnoticed"
	howToKey    = "to key it, make a private key file (head -c 32 /dev/urandom > audit.key; chmod 600 audit.key), " +
		"set CAKEGATE_AUDIT_KEY_FILE to it and restart cakegate: the chain is keyed from the next event on"
)

// auditKeyedAction is the audit action of the event that keys the chain.
const auditKeyedAction = "audit_keyed"

// startAuditChain applies the rule of the keyed audit chain at start, before cakegate
// writes anything:
//
//   - no key, unkeyed chain: it runs as before, and says the chain is unkeyed and how to
//     key it;
//   - no key or another key, keyed chain: it refuses to start (a configError: exit 2),
//     since an event written then would break the chain for good;
//   - a key, unkeyed chain: it keys the chain from its next event (the audit_keyed event),
//     once: the events before it stay as they were, covered by that event's HMAC;
//   - a key, the chain keyed with it: it says from which event.
func startAuditChain(ctx context.Context, store Store, key *state.AuditKey, now time.Time, log *slog.Logger) error {
	k, err := store.AuditKeying(ctx)
	if err != nil {
		return err
	}
	if msg := auditKeyMismatch(k, key); msg != "" {
		return configError{msg}
	}
	if key == nil {
		log.Warn("the audit chain is unkeyed: " + unkeyedRisk + "; " + howToKey)
		return nil
	}
	k, wrote, err := store.KeyAudit(ctx, commands.AuditEvent{
		At: now, Actor: commands.Actor, Action: auditKeyedAction,
		Detail: "cakegate keys the audit chain from this event on (HMAC-SHA256, key " + key.ID() + ")",
	})
	if errors.Is(err, state.ErrAuditWrongKey) {
		// Another replica keyed it first, with another key.
		if k, kerr := store.AuditKeying(ctx); kerr == nil {
			return configError{auditKeyMismatch(k, key)}
		}
		return configError{err.Error()}
	}
	if err != nil {
		return fmt.Errorf("key the audit chain: %w", err)
	}
	switch {
	case wrote && k.From > 1:
		log.Warn(fmt.Sprintf("the audit chain was unkeyed and is keyed from event %d on; the events before event %d were "+
			"written unkeyed, and event %d's HMAC covers them as they are now. This happens once, when %s is first set: "+
			"if cakegate ran with this key before, the chain was rewritten without it (check a backup with cakegate audit verify)",
			k.From, k.From, k.From, auditKeyVariable), "from_event", k.From, "key", k.KeyID)
	case wrote:
		log.Info("the audit chain is keyed from its first event", "key", k.KeyID)
	default:
		log.Info(fmt.Sprintf("the audit chain is keyed from event %d", k.From), "from_event", k.From, "key", k.KeyID)
	}
	return nil
}

// auditKeyMismatch says why cakegate must not write to a chain keyed as k with key (nil:
// none), with the fix, or "" when it may: serve refuses to start with it, and check-config
// fails with the same words.
func auditKeyMismatch(k state.AuditKeying, key *state.AuditKey) string {
	switch {
	case key == nil && k.Keyed():
		return fmt.Sprintf("%s is not set, but the audit chain is keyed from event %d (key %s): "+
			"cakegate would write unkeyed events after keyed ones. Set %s to the key file cakegate ran with.",
			auditKeyVariable, k.From, k.KeyID, auditKeyVariable)
	case key != nil && k.Keyed() && k.KeyID != key.ID():
		return fmt.Sprintf("%s holds key %s, but the audit chain is keyed with key %s from event %d: "+
			"set %s to the key file cakegate ran with (a keyed chain is checked with its own key only).",
			auditKeyVariable, key.ID(), k.KeyID, k.From, auditKeyVariable)
	}
	return ""
}
