package simulation

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// review has someone run an access review: mostly an approver, sometimes anyone.
func (w *World) review() {
	user := pick(w, w.policy.approvers())
	if w.rng.IntN(4) == 0 {
		user = pick(w, people)
	}
	w.say(user, "/cakegate review", w.slash(user, "review"))
}

// reviewButton is a button of an access review message.
type reviewButton struct {
	channel, ts, action, review, apiUser string
}

// reviewButtons lists the buttons of every review message in the approvals channel.
func (w *World) reviewButtons() []reviewButton {
	var out []reviewButton
	for _, m := range w.slack.Messages(approvalsChannel) {
		if !strings.Contains(string(m.Blocks), `"cakegate_review_`) {
			continue
		}
		var blocks []struct {
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		}
		if json.Unmarshal(m.Blocks, &blocks) != nil {
			continue
		}
		for _, b := range blocks {
			for _, e := range b.Elements {
				parts := strings.SplitN(e.Value, ";", 3)
				if strings.HasPrefix(e.ActionID, "cakegate_review_") && len(parts) == 3 {
					out = append(out, reviewButton{channel: m.Channel, ts: m.TS, action: e.ActionID, review: parts[0], apiUser: parts[2]})
				}
			}
		}
	}
	return out
}

// reviewClick has someone click Keep, Delete or Revoke on a review item: mostly a top-level
// approver, sometimes anyone.
func (w *World) reviewClick() {
	w.clickReviewButton(func(reviewButton) bool { return true }, true)
}

// reviewDeleteAdopted is where a review meets an adoption from another: a top-level
// approver starts a new review, which lists again an unmanaged API user an older review (one
// the database knows) offers to delete; an approver adopts it from the new review; then
// another clicks Delete on it in the older one. That Delete must be refused: the adopted API
// user ends only at its end, or when someone revokes it.
func (w *World) reviewDeleteAdopted() {
	if w.app == nil {
		return
	}
	var olds []reviewButton
	for _, b := range w.reviewButtons() {
		if strings.Contains(b.action, "_delete_") && w.knownReview(b.review) {
			olds = append(olds, b)
		}
	}
	if len(olds) == 0 {
		return
	}
	old := pick(w, olds)
	adopter := pick(w, w.policy.approvers())
	w.say(adopter, "/cakegate review", w.slash(adopter, "review"))
	w.deliverOutboxes(context.Background()) // the new review's messages, with its buttons
	var adopt []reviewButton
	for _, b := range w.reviewButtons() {
		if strings.Contains(b.action, "_adopt_") && b.apiUser == old.apiUser && b.review != old.review {
			adopt = append(adopt, b)
		}
	}
	if len(adopt) == 0 {
		return // gone meanwhile, or the new review could not list it
	}
	if !w.adoptFrom(adopter, adopt[len(adopt)-1]) {
		return
	}
	w.clickReviewButton(func(b reviewButton) bool { return b == old }, false)
}

// knownReview reports whether the database that runs now knows review id: a review message
// from before a restore may name one it does not.
func (w *World) knownReview(id string) bool {
	_, err := w.app.Store().GetReview(context.Background(), id)
	return err == nil
}

// clickReviewButton has a top-level approver (or, with anyone, sometimes anyone) click one
// of the review buttons that match. A Delete clicked by a top-level approver is noted: it is
// the one way cakegate may delete an API user it did not make.
func (w *World) clickReviewButton(match func(reviewButton) bool, anyone bool) {
	var buttons []reviewButton
	for _, b := range w.reviewButtons() {
		if match(b) {
			buttons = append(buttons, b)
		}
	}
	if len(buttons) == 0 {
		return
	}
	b := pick(w, buttons)
	user := pick(w, w.policy.approvers())
	if anyone && w.rng.IntN(4) == 0 {
		user = pick(w, people)
	}
	cb, err := w.slack.ButtonClick(user, b.channel, b.ts, b.action)
	if err != nil {
		w.say(user, "click "+b.action, err.Error())
		return
	}
	if strings.Contains(b.action, "_delete_") && slices.Contains(w.policy.approvers(), user) {
		w.model.reviewDeleted[b.apiUser] = true
	}
	w.remember(cb)
	w.say(user, "click "+b.action+" on API user "+b.apiUser, w.interact(cb))
	if strings.Contains(b.action, "_adopt_") {
		w.submitAdopt(user, b.apiUser)
	}
}

// reviewAdopt has someone, mostly a top-level approver, adopt an unmanaged API user from a
// review.
func (w *World) reviewAdopt() {
	var adopt []reviewButton
	for _, b := range w.reviewButtons() {
		if strings.Contains(b.action, "_adopt_") {
			adopt = append(adopt, b)
		}
	}
	if len(adopt) == 0 {
		return
	}
	b := pick(w, adopt)
	user := pick(w, w.policy.approvers())
	if w.rng.IntN(5) == 0 {
		user = pick(w, people)
	}
	w.adoptFrom(user, b)
}

// adoptFrom has user click Adopt b and fill in the form it opens; false if the button
// could not be clicked.
func (w *World) adoptFrom(user string, b reviewButton) bool {
	cb, err := w.slack.ButtonClick(user, b.channel, b.ts, b.action)
	if err != nil {
		w.say(user, "click "+b.action, err.Error())
		return false
	}
	w.say(user, "click Adopt on API user "+b.apiUser, w.interact(cb))
	w.submitAdopt(user, b.apiUser)
	return true
}

// submitAdopt fills in the adopt form user has open, if any: mostly an owner who is here
// and a time within adopt_max, sometimes not.
func (w *World) submitAdopt(user, apiUser string) {
	v, open := w.slack.ModalOpen(user)
	if !open || v.CallbackID != "cakegate_adopt" {
		return
	}
	owner := pick(w, requesters)
	if w.rng.IntN(6) == 0 {
		owner = pick(w, people) // perhaps someone who left
	}
	d := pick(w, []string{"2h", "1d", "3d", "7d", "7d", "120d"})
	values := map[string]map[string]slack.BlockAction{
		"adopt_owner": {"owner": {SelectedUser: owner}},
		"adopt_for":   {"for": {Value: d}},
		"adopt_note":  {"note": {Value: "simulated adoption"}},
	}
	cb, err := w.slack.ViewSubmission(user, values)
	if err != nil {
		w.say(user, "submit the adopt form", err.Error())
		return
	}
	// Noted before it is sent: the write may land after the answer (an interleaving).
	w.model.adopted[apiUser] = true
	w.say(user, "adopt API user "+apiUser+" for "+lowerName(owner)+", "+d, w.interact(cb))
}

// judgeAdoptedGone: cakegate deleted an adopted API user. It may at its end, or when someone
// revoked it (its owner, an approver, a review, the owner's leaving); never before its end
// on its own. It reports whether the deletion is accounted for by the adoption.
// now is when its absence was seen: it was deleted no later.
func (w *World) judgeAdoptedGone(f *userFact, now time.Time, add func(string, string, ...any)) bool {
	// The record that names this very API user is what counts, in whichever database runs
	// now (one restored from a backup taken after the adoption knows it too).
	if !w.model.adopted[f.id] || w.app == nil {
		return false
	}
	var r *commands.Request
	for _, p := range people {
		rs, _ := w.app.Store().ByUser(context.Background(), p, 0)
		for _, x := range rs {
			if x.Adopted != nil && x.Grant != nil && x.Grant.APIUserID == f.id && (r == nil || x.ID > r.ID) {
				r = x
			}
		}
	}
	if r == nil {
		return false // this database does not know the adoption (restored from before it)
	}
	switch {
	case r.State == commands.StateExpired || r.Grant.Ending == commands.StateExpired:
		if now.Before(r.Grant.ExpiresAt) {
			add(invAdoptedOnTime, "adopted API user %s (%s) was deleted as expired by %s, before its end %s", f.name, r.ID, now.Format(time.DateTime), r.Grant.ExpiresAt.Format(time.DateTime))
		}
	case r.State == commands.StateRevoked || r.State == commands.StateRevoking:
		if r.DecidedBy == commands.Actor && r.DecisionNote != commands.DeactivatedReason {
			add(invAdoptedOnTime, "adopted API user %s (%s) was deleted before its end %s though nobody asked (%s)", f.name, r.ID, r.Grant.ExpiresAt.Format(time.DateTime), r.DecisionNote)
		}
	default:
		add(invAdoptedOnTime, "adopted API user %s was deleted while its record %s is %s", f.name, r.ID, r.State)
	}
	return true
}

// adoptMax is the policy's adopt_max: the simulation's policy names none.
const adoptMax = commands.DefaultAdoptMax

// checkAdoption: an adoption is made by a top-level approver of the policy in force, under
// the reserved role.
func (w *World) checkAdoption(r *commands.Request, add func(string, string, ...any)) {
	if r.Role != commands.AdoptedRole {
		add(invPolicy, "%s adopts an API user under role %s", r.ID, r.Role)
	}
	for _, a := range r.Approvals {
		if !slices.Contains(w.policy.approvers(), a.User) {
			add(invPolicy, "%s was adopted by %s, who is not a top-level approver under the policy in force (%s)", r.ID, a.User, w.policy)
		}
	}
}

// checkAdoptedLifetime: each new end of an adoption is within adopt_max of its start.
func checkAdoptedLifetime(r *commands.Request, add func(string, string, ...any)) {
	if life := r.Grant.ExpiresAt.Sub(r.Grant.CreatedAt); life > adoptMax+lifetimeSlack {
		add(invLifetime, "%s, an adopted API user, ends %s after its adoption, past adopt_max %s", r.ID, commands.FormatDuration(life.Round(time.Minute)), commands.FormatDuration(adoptMax))
	}
}

// approvesAnything reports whether user approves some role, or all of them, under p: who
// may run and answer an access review.
func (p policy) approvesAnything(user string) bool {
	if slices.Contains(p.approvers(), user) {
		return true
	}
	for _, role := range roles {
		if slices.Contains(p.roleApprovers(role), user) {
			return true
		}
	}
	return false
}
