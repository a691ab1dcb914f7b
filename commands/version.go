package commands

import (
	"context"
	"strconv"
	"time"
)

// Version names what a button or a form showed of a request: its state, and the extension
// waiting on it if any. A click carries the version it was rendered with; when the request
// has moved on since (an old button on a message or the Home tab, or a replayed click), the
// use cases refuse instead of acting on something the person never saw — an Approve
// pressed for "1 hour" must not approve the "6 days" extension asked for later. Approvals
// that do not complete a request leave the version alone, so two approvers of the same
// message do not trip each other.
func (r *Request) Version() string {
	v := string(r.State)
	if r.Extension != nil {
		v += "+ext" + strconv.FormatInt(r.Extension.RequestedAt.Unix(), 10) + "." + strconv.FormatInt(int64(r.Extension.Duration/time.Minute), 10)
	}
	return v
}

type seenKey struct{}

// AsSeen returns ctx carrying the version of a request that the person saw where they
// clicked. The use cases given this ctx refuse with CodeChanged when the request's version
// is another by now. A slash command names what it wants now and carries none.
func AsSeen(ctx context.Context, version string) context.Context {
	return context.WithValue(ctx, seenKey{}, version)
}

// checkSeen refuses to act on r when ctx carries a version of it that is not r's now.
func checkSeen(ctx context.Context, r *Request) error {
	seen, ok := ctx.Value(seenKey{}).(string)
	if !ok || seen == r.Version() {
		return nil
	}
	switch {
	case r.State == StatePending:
		return Errorf(CodeChanged, "%s changed since you saw it; here is what is pending now: %s asks for role %s for %s on %s.",
			r.ID, Mention(r.Requester), Escape(r.Role), FormatDuration(r.Duration), Plural(len(r.Devices), "device", "devices"))
	case r.State == StateActive && r.Extension != nil:
		return Errorf(CodeChanged, "%s changed since you saw it; here is what is pending now: %s asks to extend it by %s (the token works until %s).",
			r.ID, Mention(r.Extension.By), FormatDuration(r.Extension.Duration), when(r.Grant))
	}
	// Nothing waits for a decision any more: say what became of it, as any late click is
	// told ("R42 is already approved by @ann and active until …").
	return wrongState(r, "change")
}
