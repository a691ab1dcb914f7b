package simulation

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// An action is one thing a person, Datacake's portal, the operator or the weather does.
type action struct {
	name   string
	weight int
	do     func(w *World)
}

// actions are the traffic and the world's events, with their relative frequencies.
var actions = []action{
	{"request-text", 10, (*World).requestByText},
	{"request-form", 4, (*World).requestByForm},
	{"request-template", 2, (*World).requestByTemplate},
	{"pager-handover", 1, (*World).handOver},
	{"request-scheduled", 2, (*World).requestScheduled},
	{"approve-button", 10, (*World).approveByButton},
	{"approve-command", 3, (*World).approveByCommand},
	{"reveal", 8, (*World).reveal},
	{"reissue", 1, (*World).reissue},
	{"leak", 1, (*World).leak},
	{"deny", 2, (*World).deny},
	{"cancel", 2, (*World).cancel},
	{"revoke", 3, (*World).revoke},
	{"revoke-from-reminder", 2, (*World).revokeFromReminder},
	{"extend", 5, (*World).extend},
	{"extend-from-reminder", 2, (*World).extendFromReminder},
	{"repeat-click", 3, (*World).repeatClick},
	{"list", 1, (*World).list},
	{"portal-delete", 2, (*World).portalDelete},
	{"hand-made-user", 1, (*World).handMadeUser},
	{"foreign-user", 1, (*World).foreignUser},
	{"dms-refused", 1, (*World).toggleDMs},
	{"channel-archived", 1, (*World).toggleChannel},
	{"datacake-storm", 2, (*World).datacakeStorm},
	{"slack-storm", 2, (*World).slackStorm},
	{"disk-full", 1, (*World).diskFull},
	{"arm-crash", 3, (*World).armCrash},
	{"backup", 1, (*World).takeBackup},
	{"restart", 1, (*World).redeploy},
	{"restore", 1, (*World).restore},
	{"clock-jump", 1, (*World).clockJump},
	{"leaver", 1, (*World).leave},
	{"withdraw", 2, (*World).withdrawApproval},
	{"reissue-then-extend", 3, (*World).reissueThenExtend},
	{"request-burst", 1, (*World).requestBurst},
	{"orphans-delete", 1, (*World).orphansDelete},
	{"approve-own", 2, (*World).approveOwn},
	{"decide-extension", 4, (*World).decideExtension},
	{"review", 1, (*World).review},
	{"review-click", 1, (*World).reviewClick},
	{"review-adopt", 1, (*World).reviewAdopt},
	{"review-delete-adopted", 1, (*World).reviewDeleteAdopted},
}

var actionWeights = func() int {
	n := 0
	for _, a := range actions {
		n += a.weight
	}
	return n
}()

// pickAction chooses the next action by weight.
func (w *World) pickAction() action {
	n := w.rng.IntN(actionWeights)
	for _, a := range actions {
		if n < a.weight {
			return a
		}
		n -= a.weight
	}
	return actions[0]
}

func pick[T any](w *World, xs []T) T { return xs[w.rng.IntN(len(xs))] }

// inState returns the requests in state s (none if cakegate is down).
func (w *World) inState(s commands.State) []*commands.Request {
	if w.app == nil {
		return nil
	}
	rs, _ := w.app.Store().InState(context.Background(), s)
	return rs
}

// decider picks who decides on r: mostly someone allowed, sometimes anyone (the wrong
// people click too).
func (w *World) decider(r *commands.Request) string {
	if r.State == commands.StatePending && len(r.Escalation.To) > 0 && w.rng.IntN(2) == 0 {
		return pick(w, r.Escalation.To) // brought in, and keen to help
	}
	if approvers := w.policy.roleApprovers(r.Role); len(approvers) > 0 && w.rng.IntN(10) < 7 {
		return pick(w, append(slices.Clone(approvers), r.Escalation.To...))
	}
	return pick(w, people)
}

func (w *World) say(user, what, answer string) {
	w.trace.add(w.clock.Now(), lowerName(user), what, "→ "+answer)
	if strings.Contains(answer, deactivatedRefusal) {
		w.judgeRefusal(user)
	}
}

func (w *World) requestByText() {
	user := pick(w, requesters)
	role := pick(w, []string{"viewer", "viewer", "device-editor", "contractor"})
	dur := pick(w, []string{"1h", "2h", "8h", "1d", "3d", "7d"})
	devs := pick(w, []string{"SN-1001", "SN-1002,SN-1003", "tag:lab", "tag:heating"})
	text := fmt.Sprintf(`request role=%s devices=%s for=%s reason="simulated work"`, role, devs, dur)
	w.say(user, "/cakegate "+text, w.slash(user, text))
}

func (w *World) requestByForm() {
	user := pick(w, requesters)
	w.say(user, "/cakegate request", w.slash(user, "request"))
	if _, open := w.slack.ModalOpen(user); !open {
		return
	}
	values := map[string]map[string]slack.BlockAction{
		"role":     {"role": {SelectedOption: slack.OptionBlockObject{Value: pick(w, []string{"viewer", "device-editor", "contractor"})}}},
		"devices":  {"devices": {SelectedOptions: []slack.OptionBlockObject{{Value: pick(w, []string{"tag:lab", "tag:heating", "tag:field-test"})}}}},
		"duration": {"duration": {SelectedOption: slack.OptionBlockObject{Value: pick(w, []string{"1h", "4h", "8h", "1d"})}}},
		"reason":   {"reason": {Value: "simulated form"}},
	}
	cb, err := w.slack.ViewSubmission(user, values)
	if err != nil {
		w.say(user, "submit request form", err.Error())
		return
	}
	w.remember(cb)
	w.say(user, "submit request form", w.interact(cb))
	w.slack.CloseModals(user)
}

func (w *World) approveByButton() {
	pending := w.inState(commands.StatePending)
	if len(pending) == 0 {
		return
	}
	r := pick(w, pending)
	if r.Message.IsZero() {
		return
	}
	user := w.decider(r)
	cb, err := w.slack.ButtonClick(user, r.Message.Channel, r.Message.TS, bot.ActionApprove)
	if err != nil {
		w.say(user, "click Approve on "+r.ID.String(), err.Error())
		return
	}
	w.remember(cb)
	w.say(user, "click Approve on "+r.ID.String(), w.interact(cb))
}

func (w *World) approveByCommand() {
	// Pending requests, and active ones with an extension waiting.
	rs := w.inState(commands.StatePending)
	for _, r := range w.inState(commands.StateActive) {
		if r.Extension != nil {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return
	}
	r := pick(w, rs)
	user := w.decider(r)
	w.say(user, "/cakegate approve "+r.ID.String(), w.slash(user, "approve "+r.ID.String()))
}

func (w *World) deny() {
	// Pending requests, and active ones with an extension waiting.
	pending := w.inState(commands.StatePending)
	for _, r := range w.inState(commands.StateActive) {
		if r.Extension != nil {
			pending = append(pending, r)
		}
	}
	if len(pending) == 0 {
		return
	}
	r := pick(w, pending)
	user := w.decider(r)
	w.say(user, "/cakegate deny "+r.ID.String(), w.slash(user, "deny "+r.ID.String()+" not now"))
}

func (w *World) cancel() {
	pending := w.inState(commands.StatePending)
	if len(pending) == 0 {
		return
	}
	r := pick(w, pending)
	user := r.Requester
	if w.rng.IntN(4) == 0 {
		user = pick(w, people)
	}
	w.say(user, "/cakegate cancel "+r.ID.String(), w.slash(user, "cancel "+r.ID.String()))
}

func (w *World) revoke() {
	active := w.inState(commands.StateActive)
	if len(active) == 0 {
		return
	}
	r := pick(w, active)
	user := r.Requester
	if w.rng.IntN(3) == 0 {
		user = w.decider(r)
	}
	w.say(user, "/cakegate revoke "+r.ID.String(), w.slash(user, "revoke "+r.ID.String()+" done"))
}

// reveal has the requester of an approved request press Reveal token in their DM: the
// modal opens, cakegate creates the API user and shows the token in it. Sometimes they
// close the modal before the token is there (Slack then refuses the update).
func (w *World) reveal() {
	approved := w.inState(commands.StateApproved)
	if len(approved) == 0 {
		return
	}
	r := pick(w, approved)
	cb, ok := w.revealClick(r)
	if !ok {
		return
	}
	w.remember(cb)
	w.counts["click reveal"]++
	w.say(r.Requester, "click Reveal token on "+r.ID.String(), w.interact(cb))
	w.slack.CloseModals(r.Requester)
	got, err := w.app.Store().Get(context.Background(), r.ID)
	if err != nil || got.State != commands.StateActive {
		return
	}
	switch w.rng.IntN(6) {
	case 0, 1:
		// Often the first thing done with a token: "I will need it longer".
		w.extendBy(got)
	case 2:
		// Or it is lost soon: re-issue it, and ask for more time with the new one.
		w.followUp(time.Duration(1+w.rng.IntN(120))*time.Minute, "re-issue then extend", func() {
			if r, err := w.app.Store().Get(context.Background(), got.ID); err == nil && r.State == commands.StateActive {
				w.reissueThen(r)
			}
		})
	}
}

// reissue has the requester of an active grant press Reveal token again, which offers to
// re-issue the token, and press Re-issue: the old API user goes, a new token is shown.
func (w *World) reissue() {
	active := w.inState(commands.StateActive)
	if len(active) == 0 {
		return
	}
	w.reissueOf(pick(w, active))
}

// reissueOf has r's requester press Reveal token on their active grant, then Re-issue.
func (w *World) reissueOf(r *commands.Request) {
	cb, ok := w.revealClick(r)
	if !ok {
		return
	}
	w.remember(cb)
	w.say(r.Requester, "click Reveal token on active "+r.ID.String(), w.interact(cb))
	if v, open := w.slack.ModalOpen(r.Requester); open {
		if sub, err := w.slack.ViewButtonClick(r.Requester, v.ID, bot.ActionReissue); err == nil {
			w.remember(sub)
			w.counts["click re-issue"]++
			w.say(r.Requester, "click Re-issue on "+r.ID.String(), w.interact(sub))
		}
	}
	w.slack.CloseModals(r.Requester)
}

// leak has a requester paste the token of one of their live API users into a channel or a
// DM with cakegate: leak detection must revoke it within seconds (invLeakDies).
func (w *World) leak() {
	var shown []*userFact
	for _, id := range w.model.order {
		if f := w.model.users[id]; !f.gone && f.origin == "cakegate" && f.delivered > 0 && f.leakedAt.IsZero() && f.installation == w.installation {
			shown = append(shown, f)
		}
	}
	if len(shown) == 0 {
		return
	}
	f := pick(w, shown)
	_, user, ok := madeFor(f.name)
	if !ok {
		return
	}
	if _, gone := w.model.left[user]; gone {
		return // a deactivated account posts nothing
	}
	where := pick(w, []string{generalChannel, user})
	how := "paste own token of "
	var ev json.RawMessage
	var err error
	if w.rng.IntN(3) == 0 {
		// The token comes in an edit of a message that held none: Slack sends
		// message_changed with the new text.
		how = "edit in own token of "
		var m slacktest.Message
		if m, _, err = w.slack.UserPosts(user, where, "does this work?"); err == nil {
			ev, err = w.slack.UserEdits(m.Channel, m.TS, "does this work? "+f.token)
		}
	} else {
		_, ev, err = w.slack.UserPosts(user, where, "does this work? "+f.token)
	}
	if err != nil {
		return
	}
	body, err := w.slack.EventCallback(ev)
	if err != nil {
		return
	}
	f.leakedAt = w.clock.Now()
	w.counts["token pasted in a message"]++
	status, _ := w.post("/slack/events", body)
	if status != "" {
		// Not acknowledged (the leak could not be recorded): Slack sends it again.
		w.unacked = append(w.unacked, unackedEvent{body: body})
	}
	w.say(user, how+f.name+" in "+where, cmp.Or(status, "ok"))
}

// revealClick builds a click on the Reveal token button of r in its requester's DMs.
func (w *World) revealClick(r *commands.Request) (slack.InteractionCallback, bool) {
	dms := w.slack.DMs(r.Requester)
	for i := len(dms) - 1; i >= 0; i-- {
		cb, err := w.slack.ButtonClick(r.Requester, dms[i].Channel, dms[i].TS, bot.ActionReveal)
		if err == nil && len(cb.ActionCallback.BlockActions) > 0 && cb.ActionCallback.BlockActions[0].Value == r.ID.String() {
			return cb, true
		}
	}
	return slack.InteractionCallback{}, false
}

// revokeFromReminder has a requester press Revoke on the newest DM that has the button.
func (w *World) revokeFromReminder() {
	user := pick(w, requesters)
	if cb, ok := w.reminderClick(user, bot.ActionRevoke); ok {
		w.say(user, "click Revoke in a reminder", w.interact(cb))
	}
}

// extendFromReminder has a requester press Extend on a reminder and submit the form.
func (w *World) extendFromReminder() {
	user := pick(w, requesters)
	cb, ok := w.reminderClick(user, bot.ActionExtend)
	if !ok {
		return
	}
	w.say(user, "click Extend in a reminder", w.interact(cb))
	if _, open := w.slack.ModalOpen(user); !open {
		return
	}
	sub, err := w.slack.ViewSubmission(user, map[string]map[string]slack.BlockAction{
		"duration": {"duration": {SelectedOption: slack.OptionBlockObject{Value: pick(w, []string{"1h", "4h", "1d"})}}},
	})
	if err == nil {
		w.remember(sub)
		w.say(user, "submit extend form", w.interact(sub))
	}
	w.slack.CloseModals(user)
}

// reminderClick builds a click on the newest of user's last DMs that has the button.
func (w *World) reminderClick(user, actionID string) (slack.InteractionCallback, bool) {
	dms := w.slack.DMs(user)
	for i := len(dms) - 1; i >= 0 && i >= len(dms)-5; i-- {
		cb, err := w.slack.ButtonClick(user, dms[i].Channel, dms[i].TS, actionID)
		if err == nil {
			w.remember(cb)
			return cb, true
		}
	}
	return slack.InteractionCallback{}, false
}

func (w *World) extend() {
	active := w.inState(commands.StateActive)
	if len(active) == 0 {
		return
	}
	w.extendBy(pick(w, active))
}

// extendBy has r's requester ask for more time, sometimes as much as the role could ever
// give, so the cap on a grant's whole life is tried.
func (w *World) extendBy(r *commands.Request) {
	d := pick(w, []string{"1h", "1h", "2h", "4h", "1d", "3d", "7d"})
	answer := w.slash(r.Requester, "extend "+r.ID.String()+" "+d)
	w.say(r.Requester, "/cakegate extend "+r.ID.String()+" "+d, answer)
	if m := mostOffered.FindStringSubmatch(answer); m != nil {
		// Told how much is left, people ask for all of it.
		w.say(r.Requester, "/cakegate extend "+r.ID.String()+" "+m[1], w.slash(r.Requester, "extend "+r.ID.String()+" "+m[1]))
	}
}

// mostOffered finds how much longer cakegate says a grant may be extended at most.
var mostOffered = regexp.MustCompile(`can be extended by at most ([0-9dhm]+)`)

// reissueThenExtend has a requester re-issue their token and then ask for more time: the
// grant's life still counts from its first reveal.
func (w *World) reissueThenExtend() {
	active := w.inState(commands.StateActive)
	if len(active) == 0 {
		return
	}
	w.reissueThen(pick(w, active))
}

// reissueThen has r's requester re-issue their token, then ask for more time.
func (w *World) reissueThen(r *commands.Request) {
	w.reissueOf(r)
	if got, err := w.app.Store().Get(context.Background(), r.ID); err == nil && got.State == commands.StateActive {
		w.extendBy(got)
	}
}

// withdrawApproval has an approver (or the requester, or someone else) take back an
// approval whose token was not revealed yet.
func (w *World) withdrawApproval() {
	approved := w.inState(commands.StateApproved)
	if len(approved) == 0 {
		return
	}
	w.withdraw(pick(w, approved).ID, "approved by mistake")
}

// withdraw has someone revoke request id: mostly one of its approvers, sometimes its
// requester, sometimes anyone.
func (w *World) withdraw(id commands.RequestID, why string) {
	r, err := w.app.Store().Get(context.Background(), id)
	if err != nil {
		return
	}
	user := w.decider(r)
	if w.rng.IntN(4) == 0 {
		user = r.Requester
	}
	w.say(user, "/cakegate revoke "+id.String()+" ("+why+")", w.slash(user, "revoke "+id.String()+" "+why))
}

// revealAgain has the requester of request id click its Reveal token button once more: a
// double click, or impatience.
func (w *World) revealAgain(id commands.RequestID, user string) {
	cb, ok := w.revealClick(&commands.Request{ID: id, Requester: user})
	if !ok {
		return
	}
	w.counts["click reveal again"]++
	w.say(user, "click Reveal token on "+id.String()+" again", w.interact(cb))
}

// decideExtension has someone (mostly an approver of the role) approve or deny an
// extension that waits.
func (w *World) decideExtension() {
	var waiting []*commands.Request
	for _, r := range w.inState(commands.StateActive) {
		if r.Extension != nil {
			waiting = append(waiting, r)
		}
	}
	if len(waiting) == 0 {
		return
	}
	r := pick(w, waiting)
	user := w.decider(r)
	verb := "approve " + r.ID.String()
	if w.rng.IntN(4) == 0 {
		verb = "deny " + r.ID.String() + " not needed"
	}
	w.say(user, "/cakegate "+verb, w.slash(user, verb))
}

// approveOwn has an approver who also asks for tokens try to approve their own request, or
// their own extension: nobody may, on any path.
func (w *World) approveOwn() {
	var own []*commands.Request
	for _, st := range []commands.State{commands.StatePending, commands.StateActive} {
		for _, r := range w.inState(st) {
			if slices.Contains(w.policy.roleApprovers(r.Role), r.Requester) && (st == commands.StatePending || r.Extension != nil) {
				own = append(own, r)
			}
		}
	}
	if len(own) == 0 {
		return
	}
	r := pick(w, own)
	w.say(r.Requester, "/cakegate approve "+r.ID.String()+" (their own)", w.slash(r.Requester, "approve "+r.ID.String()))
}

// requestBurst has a script type several requests in a row for one person: no more than
// max_open_requests may wait at once.
func (w *World) requestBurst() {
	user := pick(w, requesters)
	n := 4 + w.rng.IntN(5)
	for i := range n {
		text := fmt.Sprintf(`request role=viewer devices=SN-100%d for=1h reason="scripted %d"`, 1+i%3, i)
		w.say(user, "/cakegate "+text, w.slash(user, text))
	}
}

// orphansDelete has someone confirm deleting held orphans: mostly an approver, as a
// report asks them to, sometimes anyone.
func (w *World) orphansDelete() {
	user := pick(w, w.policy.approvers())
	if w.rng.IntN(3) == 0 {
		user = pick(w, people)
	}
	w.say(user, "/cakegate orphans delete", w.slash(user, "orphans delete"))
}

func (w *World) list() {
	user := pick(w, people)
	w.say(user, "/cakegate list", w.slash(user, "list"))
}

// remember keeps an interaction for later repeats: Slack redelivers, people double-click,
// and old messages keep their buttons.
func (w *World) remember(cb slack.InteractionCallback) {
	w.past = append(w.past, cb)
	if len(w.past) > 30 {
		w.past = w.past[1:]
	}
}

// repeatClick delivers a past interaction again: a repeated delivery, or a stale click.
func (w *World) repeatClick() {
	if len(w.past) == 0 {
		return
	}
	cb := pick(w, w.past)
	w.say(cb.User.ID, "repeat an interaction", w.interact(cb))
}

// portalDelete has someone delete an API user in Datacake's portal: one of cakegate's live
// ones, or, as often, one somebody else made (by hand, or another installation's), as
// their owners clean up after themselves; cakegate must take either in its stride.
func (w *World) portalDelete() {
	var ours, others []APIUserRef
	for _, u := range w.dc.APIUsers(workspace) {
		f, ok := w.model.users[u.ID]
		switch {
		case !ok:
		case f.origin == "cakegate" && f.installation == w.installation:
			ours = append(ours, APIUserRef{u.ID, u.Name})
		default:
			others = append(others, APIUserRef{u.ID, u.Name})
		}
	}
	from := ours
	if len(ours) == 0 || (len(others) > 0 && w.rng.IntN(2) == 0) {
		from = others
	}
	if len(from) == 0 {
		return
	}
	u := pick(w, from)
	w.model.portal[u.id] = true
	w.dc.DeleteAPIUserOutOfBand(u.id)
	w.trace.add(w.clock.Now(), "portal", "delete API user", u.name)
}

// maxOthers bounds the API users made by hand or by another installation that live at
// once: a workspace has a handful, and every reconcile lists them all.
const maxOthers = 8

// othersLive counts the live API users cakegate did not make.
func (w *World) othersLive() int {
	n := 0
	for _, u := range w.dc.APIUsers(workspace) {
		if f, ok := w.model.users[u.ID]; ok && f.origin != "cakegate" {
			n++
		}
	}
	return n
}

// APIUserRef names an API user in the trace.
type APIUserRef struct{ id, name string }

// handMadeUser has someone make an API user in the portal, named as people do.
func (w *World) handMadeUser() {
	name := pick(w, []string{"ci-uploader", "grafana", "cakegate-test", "backup-job"})
	w.madeOutOfBand(name, "hand")
}

// foreignUser has another cakegate installation, on the same workspace, make an API user.
func (w *World) foreignUser() {
	if !w.enabled(triggerForeign) {
		return
	}
	w.madeOutOfBand(foreignName(pick(w, foreignInstallations), 1+w.rng.IntN(40), pick(w, requesters)), "foreign")
}

func (w *World) madeOutOfBand(name, origin string) {
	if w.othersLive() >= maxOthers {
		return // their owners clean up too: the workspace keeps a handful
	}
	u := w.dc.AddAPIUserOutOfBand(workspace, name)
	w.model.add(&userFact{id: u.ID, name: u.Name, token: u.Token, origin: origin, created: w.clock.Now()})
	w.trace.add(w.clock.Now(), origin, "make API user", name)
}

// toggleDMs has a user refuse direct messages from the bot, or accept them again.
func (w *World) toggleDMs() {
	user := pick(w, requesters)
	if slices.Contains(w.dmsBlocked, user) {
		w.slack.UnblockDMs(user)
		w.dmsBlocked = slices.DeleteFunc(w.dmsBlocked, func(u string) bool { return u == user })
		w.trace.add(w.clock.Now(), "slack", "DMs accepted again", user)
		return
	}
	w.slack.BlockDMs(user, pick(w, []string{"cannot_dm_bot", "user_disabled"}))
	w.dmsBlocked = append(w.dmsBlocked, user)
	// Most people notice within hours (nothing reaches them), some only after days.
	spell := time.Duration(1+w.rng.IntN(12)) * time.Hour
	if w.rng.IntN(5) == 0 {
		spell = time.Duration(1+w.rng.IntN(4)) * 24 * time.Hour
	}
	w.dmsBackAt[user] = w.clock.Now().Add(spell)
	w.trace.add(w.clock.Now(), "slack", "DMs refused", user+" until "+w.dmsBackAt[user].Format(time.DateTime))
}

// acceptDMs ends the spells of refused direct messages that are over.
func (w *World) acceptDMs() {
	for _, user := range slices.Clone(w.dmsBlocked) {
		if !w.clock.Now().Before(w.dmsBackAt[user]) {
			w.slack.UnblockDMs(user)
			w.dmsBlocked = slices.DeleteFunc(w.dmsBlocked, func(u string) bool { return u == user })
			w.trace.add(w.clock.Now(), "slack", "DMs accepted again", user)
		}
	}
}

// toggleChannel archives the approvals channel (every post and update there fails with
// channel_not_found) for a while, or brings it back early. Most archivings are mistakes
// mended within hours; now and then nobody notices for days, long enough for the outbox
// to give up on what it holds and dead-letter it.
func (w *World) toggleChannel() {
	if w.channelGone {
		w.restoreChannel()
		return
	}
	w.slack.SetChannelNotFound(approvalsChannel)
	w.channelGone = true
	var spell time.Duration
	switch r := w.rng.IntN(20); {
	case r < 14:
		spell = time.Duration(10+w.rng.IntN(4*60)) * time.Minute
	case r < 19:
		spell = time.Duration(4+w.rng.IntN(20)) * time.Hour
	default:
		spell = time.Duration(48+w.rng.IntN(48)) * time.Hour
	}
	w.channelBackAt = w.clock.Now().Add(spell)
	w.faults.out.down(depChannel, w.clock.Now(), w.channelBackAt)
	w.trace.add(w.clock.Now(), "slack", "approvals channel archived", fmt.Sprintf("%s until %s", approvalsChannel, w.channelBackAt.Format(time.DateTime)))
}

// restoreChannel brings the approvals channel back.
func (w *World) restoreChannel() {
	w.slack.SetChannelError(approvalsChannel, "")
	w.channelGone = false
	w.faults.out.up(depChannel, w.clock.Now())
	w.trace.add(w.clock.Now(), "slack", "approvals channel back", approvalsChannel)
}

func (w *World) stormLength() time.Duration {
	return time.Duration(2+w.rng.IntN(6*60)) * time.Minute
}

func (w *World) datacakeStorm() {
	until := w.clock.Now().Add(w.stormLength())
	w.faults.datacakeStorm = until
	w.faults.out.down(depDatacake, w.clock.Now(), until)
	w.trace.add(w.clock.Now(), "weather", "Datacake storm", "until "+until.Format(time.DateTime))
}

func (w *World) slackStorm() {
	until := w.clock.Now().Add(w.stormLength())
	w.faults.slackStorm = until
	w.faults.out.down(depSlack, w.clock.Now(), until)
	w.trace.add(w.clock.Now(), "weather", "Slack storm", "until "+until.Format(time.DateTime))
}

func (w *World) diskFull() {
	if !w.enabled(triggerDiskFull) {
		return
	}
	until := w.clock.Now().Add(time.Duration(1+w.rng.IntN(30)) * time.Minute)
	w.diskFullUntil = until
	w.faults.out.down(depDisk, w.clock.Now(), until)
	w.trace.add(w.clock.Now(), "weather", "disk full", "until "+until.Format(time.DateTime))
}

// crashSteps are the named steps a crash is aimed at: every call and write of
// provisioning (create, record, token DM, activate), revocation and expiry (delete, record),
// extension (record, notify) and outbox delivery (post, update, complete, retry).
var crashSteps = []string{
	"before datacake.NewApiUser", "after datacake.NewApiUser",
	"before datacake.DeleteApiUser", "after datacake.DeleteApiUser",
	"after datacake.WorkspaceApiUsers",
	"before slack.conversations.open", "before slack.chat.postMessage", "after slack.chat.postMessage",
	"after slack.chat.update", "after slack.response_url",
	"before store.create", "before store.update", "before store.record",
	"before store.complete_notification", "before store.retry_notification",
}

// armCrash makes the process die the n-th time it reaches a named step.
func (w *World) armCrash() {
	w.crashTarget = pick(w, crashSteps)
	w.crashCountdown = 1 + w.rng.IntN(3)
	w.trace.add(w.clock.Now(), "fault", "crash armed", fmt.Sprintf("%s, the %d. time", w.crashTarget, w.crashCountdown))
}

// takeBackup copies the database as `cakegate backup` would.
func (w *World) takeBackup() {
	if w.app == nil {
		return
	}
	// The simulation runs on bbolt; `cakegate backup` copies it the same way.
	db, ok := w.app.Store().(interface {
		Backup(io.Writer) (int64, error)
	})
	if !ok {
		return
	}
	var buf bytes.Buffer
	if _, err := db.Backup(&buf); err != nil {
		return
	}
	w.backups = append(w.backups, backup{at: w.clock.Now(), data: buf.Bytes(), installation: w.installation})
	if len(w.backups) > 5 {
		w.backups = w.backups[1:]
	}
	w.trace.add(w.clock.Now(), "operator", "backup", fmt.Sprintf("%d bytes", buf.Len()))
}

// redeploy restarts cakegate, sometimes with another policy, sometimes after downtime.
func (w *World) redeploy() {
	if w.rng.IntN(3) == 0 {
		// Mostly a deploy that takes minutes; now and then a host down for a day or two.
		down := time.Duration(1+w.rng.IntN(60)) * time.Minute
		if w.rng.IntN(5) == 0 {
			down = time.Duration(60+w.rng.IntN(47*60)) * time.Minute
		}
		w.stopApp()
		w.clock.Advance(down)
		w.trace.add(w.clock.Now(), "operator", "cakegate was down", down.String())
	}
	detail := "same policy"
	if w.rng.IntN(2) == 0 {
		w.policy = w.nextPolicy()
		if w.escalatedWaiting() && w.rng.IntN(2) == 0 {
			// The operator drops escalate_to while requests escalated under it wait.
			w.policy.noEscalation = true
		}
		detail = w.policy.String()
	}
	w.trace.add(w.clock.Now(), "operator", "restart", detail)
	w.restart()
}

// escalatedWaiting reports whether a pending request was escalated to someone.
func (w *World) escalatedWaiting() bool {
	return slices.ContainsFunc(w.inState(commands.StatePending), func(r *commands.Request) bool { return len(r.Escalation.To) > 0 })
}

// restore restarts cakegate on an older backup, or on an empty database.
func (w *World) restore() {
	if w.replicated() {
		return // replicas share etcd: a restore is an operator's migration, not simulated
	}
	empty := len(w.backups) == 0 || w.rng.IntN(3) == 0
	if empty && !w.enabled(triggerForeign) {
		return
	}
	w.stopApp()
	if empty {
		os.Remove(w.dbPath())
		w.installation = w.nextInstallation()
		w.trace.add(w.clock.Now(), "operator", "restart on an empty database", fmt.Sprintf("installation %d", w.installation))
	} else {
		b := pick(w, w.backups)
		if err := os.WriteFile(w.dbPath(), b.data, 0o600); err != nil {
			panic(err)
		}
		w.installation = b.installation
		w.trace.add(w.clock.Now(), "operator", "restore backup", "taken "+b.at.Format(time.DateTime))
	}
	w.generation++
	w.model.seen = map[commands.RequestID]seenState{}
	w.model.ends = map[commands.RequestID]time.Time{}
	w.outbox.forget()
	// The database no longer knows who left since: the leavers sweep must find out again.
	for user, l := range w.model.left {
		w.model.left[user] = leaver{at: w.clock.Now(), back: l.back}
	}
	w.mustStart()
	w.model.forgetAudit(w.auditTail(context.Background()))
	w.primeSeen()
}

// primeSeen notes the state of every open request of a database cakegate was just started
// on, without judging how they got there: they were decided under policies and by
// processes of another history.
func (w *World) primeSeen() {
	open, err := w.openRequests(context.Background())
	if err != nil {
		return
	}
	for _, r := range open {
		w.model.seen[r.ID] = seenState{r.State, w.clock.Now()}
		if r.Grant != nil {
			w.model.ends[r.ID] = r.Grant.ExpiresAt
		}
	}
}

func (w *World) nextInstallation() int {
	w.installations++
	return w.installations
}

// clockJump pauses the VM: the clock moves minutes, now and then hours, at once.
func (w *World) clockJump() {
	d := time.Duration(1+w.rng.IntN(60)) * time.Minute
	if w.rng.IntN(10) == 0 {
		d = time.Duration(1+w.rng.IntN(12)) * time.Hour
	}
	before := w.clock.Now()
	w.clock.Advance(d)
	w.faults.out.down(depClock, before, w.clock.Now())
	w.trace.add(w.clock.Now(), "clock", "jump", d.String())
}

// leavers are the people who may leave; the approvers stay.
var leavers = []string{alice, dan}

// leave deactivates alice's or dan's Slack account for 2 to 24 hours (a leaver, re-hired:
// the simulation needs its people back), telling cakegate by a user_change event or, one time
// in three, not (the event is lost: the daily leavers sweep must find out).
func (w *World) leave() {
	user := pick(w, leavers)
	if _, gone := w.model.left[user]; gone {
		return
	}
	w.deactivate(user, w.rng.IntN(3) > 0, "")
}

// leaveNow deactivates user at once, telling cakegate, when a concurrent action needs it:
// while their token is being made or shown (why says which).
func (w *World) leaveNow(user, why string) {
	if _, gone := w.model.left[user]; gone || !slices.Contains(leavers, user) {
		return
	}
	w.deactivate(user, true, why)
}

// deactivate deactivates user's account for 2 to 24 hours, telling cakegate by a
// user_change event if tell.
func (w *World) deactivate(user string, tell bool, why string) {
	w.slack.AddUser(slackUser(user, true))
	l := leaver{at: w.clock.Now(), back: w.clock.Now().Add(time.Duration(2+w.rng.IntN(23)) * time.Hour)}
	// Marked gone before the event: a deactivated account sends no more commands, even
	// from work the event sets off.
	w.model.left[user] = l
	what := "no event"
	if tell {
		status := w.userChange(user, true)
		l.told = status == ""
		what = "user_change " + cmp.Or(status, "ok")
	}
	if why != "" {
		what += ", " + why
	}
	w.model.left[user] = l
	w.counts["account deactivated"]++
	w.trace.add(w.clock.Now(), "slack", "account deactivated", user+", "+what)
}

// userChange sends Slack's user_change event for user, deactivated or back; it returns
// the status of a delivery cakegate did not acknowledge ("" when it did), which Slack then
// sends again.
func (w *World) userChange(user string, deleted bool) string {
	body, err := w.slack.EventCallback(json.RawMessage(fmt.Sprintf(`{"type":"user_change","user":{"id":%q,"deleted":%v}}`, user, deleted)))
	if err != nil {
		return err.Error()
	}
	status, _ := w.post("/slack/events", body)
	if status != "" {
		w.unacked = append(w.unacked, unackedEvent{body: body})
	}
	return status
}

// comeBack reactivates the accounts whose spell away has ended.
func (w *World) comeBack() {
	for _, user := range leavers {
		if l, gone := w.model.left[user]; gone && !w.clock.Now().Before(l.back) {
			w.slack.AddUser(slackUser(user, false))
			delete(w.model.left, user)
			w.model.back[user] = w.clock.Now()
			what := "no event"
			if w.app != nil && w.crashed == "" && w.rng.IntN(3) > 0 {
				what = "user_change " + cmp.Or(w.userChange(user, false), "ok")
			}
			w.trace.add(w.clock.Now(), "slack", "account reactivated", user+", "+what)
		}
	}
}
