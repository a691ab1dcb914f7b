package simulation

import (
	"encoding/json"
	"slices"
	"strings"
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
	channel, ts, action, apiUser string
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
					out = append(out, reviewButton{channel: m.Channel, ts: m.TS, action: e.ActionID, apiUser: parts[2]})
				}
			}
		}
	}
	return out
}

// reviewClick has someone click Keep, Delete or Revoke on a review item: mostly a top-level
// approver, sometimes anyone. A Delete clicked by a top-level approver is noted: it is the
// one way cakegate may delete an API user it did not make.
func (w *World) reviewClick() {
	buttons := w.reviewButtons()
	if len(buttons) == 0 {
		return
	}
	b := pick(w, buttons)
	user := pick(w, w.policy.approvers())
	if w.rng.IntN(4) == 0 {
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
}
