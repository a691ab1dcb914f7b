package simulation

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// zones are the simulated people's Slack time zones: starts written as wall times are read
// in them, across their daylight-saving changes (Berlin's and New York's fall in the run).
var zones = map[string]string{
	alice: "Europe/Berlin", dan: "America/New_York", ann: "Europe/Berlin",
	bob: "Asia/Kolkata", carol: "America/New_York", erin: "Australia/Sydney",
}

// slackUser is user as the fake Slack knows them; deleted for a deactivated account.
func slackUser(user string, deleted bool) slacktest.User {
	return slacktest.User{ID: user, Name: lowerName(user), RealName: lowerName(user), TZ: zones[user], Deleted: deleted}
}

// requestScheduled has a requester ask for access that starts later: at a wall time today
// (which may have passed: refused), tomorrow, on a weekday, or at an RFC 3339 time.
func (w *World) requestScheduled() {
	user := pick(w, requesters)
	at := fmt.Sprintf("%02d:%02d", w.rng.IntN(24), 15*w.rng.IntN(4))
	start := pick(w, []string{at, `"tomorrow ` + at + `"`, `"` + pick(w, []string{"mon", "wed", "fri", "sun"}) + " " + at + `"`,
		w.clock.Now().Add(time.Duration(10+w.rng.IntN(600)) * time.Minute).UTC().Format(time.RFC3339)})
	role := pick(w, []string{"viewer", "device-editor"})
	text := fmt.Sprintf(`request role=%s devices=SN-1003 for=%s start=%s reason="planned work"`, role, pick(w, []string{"1h", "2h", "8h"}), start)
	answer := w.slash(user, text)
	w.say(user, "/cakegate "+text, answer)
	switch {
	case strings.Contains(answer, "It starts"):
		w.counts["scheduled request made"]++
		w.revealAtStart(answer, user)
	case strings.Contains(answer, "start"):
		w.counts["scheduled start refused"]++
	}
}

// checkStart: no token of a scheduled request is made before its start, and its grant ends
// by start + duration unless an extension moved it.
func (w *World) checkStart(ctx context.Context, r *commands.Request, add func(string, string, ...any)) {
	if r.StartAt.IsZero() {
		return
	}
	if r.Grant != nil && !w.model.startsRevealed[r.ID] {
		w.model.startsRevealed[r.ID] = true
		w.counts["scheduled request revealed"]++
	}
	// Any API user made for it before its start, shown or not: a token existed too early.
	for _, f := range w.model.made[requestKey{w.installation, w.generation, r.ID}] {
		if f.created.Before(r.StartAt) {
			add(invNoEarlyToken, "%s starts at %s, but its API user %s was made at %s", r.ID, r.StartAt.Format(time.DateTime), f.name, f.created.Format(time.DateTime))
		}
	}
	if r.Grant == nil || !r.Grant.ExpiresAt.After(r.StartAt.Add(r.Duration)) || w.model.judgedStartEnd[r.ID].Equal(r.Grant.ExpiresAt) {
		return
	}
	w.model.judgedStartEnd[r.ID] = r.Grant.ExpiresAt
	events, err := w.app.Store().AuditForRequest(ctx, r.ID)
	if err != nil {
		add(invAudited, "cannot read the audit of %s: %v", r.ID, err)
		return
	}
	for _, e := range events {
		if e.Action == "extended" {
			return // an approved extension moved the end
		}
	}
	add(invStartEnd, "%s starts at %s for %s, but its grant ends at %s", r.ID, r.StartAt.Format(time.DateTime), commands.FormatDuration(r.Duration), r.Grant.ExpiresAt.Format(time.DateTime))
}

// requestIDIn finds the request id an answer names first ("R42").
var requestIDIn = regexp.MustCompile(`\bR[0-9]+\b`)

// revealAtStart has user come back to the request answer names a little after its start,
// to click Reveal token once the start's message came, if it was approved by then.
func (w *World) revealAtStart(answer, user string) {
	id, err := commands.ParseRequestID(requestIDIn.FindString(answer))
	if err != nil || w.app == nil {
		return
	}
	r, err := w.app.Store().Get(context.Background(), id)
	if err != nil || r.StartAt.IsZero() {
		return
	}
	// The approvers decide soon, mostly before the start.
	w.followUp(time.Duration(1+w.rng.IntN(90))*time.Minute, "approve a scheduled request", func() {
		for _, approver := range []string{ann, bob} {
			text := "approve " + id.String()
			w.say(approver, "/cakegate "+text, w.slash(approver, text))
		}
	})
	wait := r.StartAt.Sub(w.clock.Now()) + time.Duration(w.rng.IntN(40))*time.Minute
	w.followUp(max(wait, time.Minute), "reveal at the start", func() {
		if w.app == nil {
			return
		}
		if r, err := w.app.Store().Get(context.Background(), id); err == nil && r.State == commands.StateApproved {
			w.revealAgain(id, user)
		}
	})
}
