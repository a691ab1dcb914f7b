package commands

import (
	"fmt"
	"slices"
)

// transitions lists every state change the request state machine allows. Anything else is
// refused, whatever a click or a command asks for.
var transitions = map[State][]State{
	StatePending: {StateApproved, StateDenied, StateCancelled, StateTimedOut},
	// approved → revoked is a withdrawal: no API user was ever made.
	StateApproved: {StateProvisioning, StateLapsed, StateCancelled, StateRevoked},
	// provisioning → revoking only once a grant is recorded (see mayEnd): its API user
	// may exist and its token may have left, so expiry and revoke must be able to end it.
	// provisioning → approved when the token could not be shown: its API user is deleted
	// and the Reveal button works again. provisioning → revoked ends a request revoked
	// while its API user was being made, once that API user is confirmed gone.
	StateProvisioning: {StateActive, StateFailed, StateRevoking, StateApproved, StateRevoked},
	// active → provisioning is a re-issue: the old API user is deleted, a new one shown.
	// active → revoked closes an adopted API user's record without deleting it: someone
	// renamed it in the portal, taking it back by hand (closeRenamed).
	StateActive:   {StateRevoking, StateProvisioning, StateRevoked},
	StateRevoking: {StateExpired, StateRevoked},
}

// CanTransition reports whether the state machine allows from → to.
func CanTransition(from, to State) bool {
	return slices.Contains(transitions[from], to)
}

// mayEnd reports whether r holds an API user that expiry or revoke can end: an active
// grant, or a provisioning request whose API user was recorded before its token left.
func mayEnd(r *Request) bool {
	return r.Grant != nil && (r.State == StateActive || r.State == StateProvisioning)
}

// moveTo changes r's state if the machine allows it, or explains why not. action is what
// the user tried ("approve", "deny", …) so the explanation can say it.
func moveTo(r *Request, to State, action string) error {
	if !CanTransition(r.State, to) || (to == StateRevoking && !mayEnd(r)) {
		return wrongState(r, action)
	}
	r.State = to
	return nil
}

// wrongState explains, in terms of what happened to the request, why action cannot be done
// now: "R42 is already approved by @ann".
func wrongState(r *Request, action string) error {
	by := ""
	if r.DecidedBy != "" {
		by = " by " + who(r.DecidedBy)
	}
	var msg string
	switch r.State {
	case StatePending:
		msg = fmt.Sprintf("%s is still waiting for approval, so it cannot be %s yet.", r.ID, pastTense(action))
	case StateApproved:
		msg = fmt.Sprintf("%s is already approved%s; its requester can reveal the token until %s.", r.ID, by, r.RevealBy.UTC().Format("2006-01-02 15:04 UTC"))
		if action == "deny" || action == "cancel" {
			msg += fmt.Sprintf(" To take the approval back before its token is revealed, use `/cakegate revoke %s`.", r.ID)
		}
	case StateLapsed:
		msg = fmt.Sprintf("%s was approved%s but its token was not revealed in time; ask again with `/cakegate request`.", r.ID, by)
	case StateProvisioning:
		msg = fmt.Sprintf("%s is already approved%s; its token is being created.", r.ID, by)
	case StateActive:
		msg = fmt.Sprintf("%s is already approved%s and active until %s.", r.ID, by, when(r.Grant))
	case StateRevoking:
		msg = fmt.Sprintf("%s is already being revoked%s.", r.ID, by)
	case StateExpired:
		msg = fmt.Sprintf("%s has already expired.", r.ID)
	case StateRevoked:
		msg = fmt.Sprintf("%s was already revoked%s.", r.ID, by)
	case StateDenied:
		msg = fmt.Sprintf("%s was already denied%s.", r.ID, by)
	case StateCancelled:
		msg = fmt.Sprintf("%s was already cancelled%s.", r.ID, by)
	case StateTimedOut:
		msg = fmt.Sprintf("%s timed out without a decision; ask again with `/cakegate request`.", r.ID)
	case StateFailed:
		msg = fmt.Sprintf("%s failed: %s", r.ID, Escape(r.FailureReason))
	default:
		msg = fmt.Sprintf("%s is in state %q and cannot be %s.", r.ID, r.State, pastTense(action))
	}
	return Errorf(CodeWrongState, "%s", msg)
}

func pastTense(action string) string {
	switch action {
	case "approve":
		return "approved"
	case "deny":
		return "denied"
	case "cancel":
		return "cancelled"
	case "revoke":
		return "revoked"
	case "extend":
		return "extended"
	case "expire":
		return "expired"
	}
	return action + "ed"
}

func when(g *Grant) string {
	if g == nil {
		return "its expiry"
	}
	return g.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
}
