package bot_test

import (
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// approved has user ask for the viewer role, ann approve it, and the Reveal DM go out.
func (f *homeFixture) approved(t *testing.T, user string) *commands.Request {
	t.Helper()
	r := f.request(t, user)
	r, err := f.svc.Approve(homeContext(t), r.ID, "U0ANN")
	if err != nil {
		t.Fatal(err)
	}
	f.deliverOutbox(t)
	return r
}

// revealDM is user's direct message with the Reveal token button.
func (f *homeFixture) revealDM(t *testing.T, user string) slacktest.Message {
	t.Helper()
	for _, m := range f.slack.DMs(user) {
		if strings.Contains(f.slack.RenderMessage(m), "[Reveal token]") {
			return m
		}
	}
	t.Fatalf("%s has no direct message with Reveal token", user)
	return slacktest.Message{}
}

// waitView waits until user's screen shows a modal that satisfies ok, and returns it.
func (f *homeFixture) waitView(t *testing.T, user string, ok func(slacktest.View) bool) slacktest.View {
	t.Helper()
	var found slacktest.View
	err := f.slack.WaitFor(homeContext(t), func(s *slacktest.Server) bool {
		for _, v := range s.Views(user) {
			if ok(v) {
				found = v
				return true
			}
		}
		return false
	})
	if err != nil {
		var seen []string
		for _, v := range f.slack.Views(user) {
			seen = append(seen, f.slack.RenderView(v))
		}
		t.Fatalf("%s never saw the modal: %v; they see %q", user, err, seen)
	}
	return found
}

// TestReissueBySomeoneElseChangesNothing: a click on Re-issue that is not the requester's
// (a forged or replayed payload) is refused before anything happens: the requester's
// window stays as it was, and the grant keeps its token.
func TestReissueBySomeoneElseChangesNothing(t *testing.T) {
	f := newHomeFixture(t)
	f.svc.Policy.MaxReissues = 2
	r := f.approved(t, "U0CAROL")
	f.reveal(t, "U0CAROL")
	f.deliverOutbox(t)
	dm := f.revealDM(t, "U0CAROL")
	cb, err := f.slack.ButtonClick("U0CAROL", dm.Channel, dm.TS, bot.ActionReveal)
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, cb)
	offer := f.waitView(t, "U0CAROL", func(v slacktest.View) bool { return v.CallbackID == "cakegate_reissue" })
	before, err := f.svc.Store.Get(homeContext(t), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	updates, created := len(f.slack.CallsTo("views.update")), f.datacake.Created.Load()

	forged, err := f.slack.ViewButtonClick("U0CAROL", offer.ID, bot.ActionReissue)
	if err != nil {
		t.Fatal(err)
	}
	forged.User.ID, forged.User.Name = "U0BOB", "bob"
	f.deliver(t, forged)
	f.settle(t)

	if n := len(f.slack.CallsTo("views.update")) - updates; n != 0 {
		t.Errorf("bob's click updated views %d times, want none", n)
	}
	if v, _ := f.slack.View(offer.ID); v.Hash != offer.Hash {
		t.Errorf("carol's window changed after bob's click:\n%s", f.slack.RenderView(v))
	}
	after, err := f.svc.Store.Get(homeContext(t), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != commands.StateActive || after.Reissues != 0 || after.Grant.APIUserID != before.Grant.APIUserID || f.datacake.Created.Load() != created {
		t.Errorf("after bob's click R1 is %s with %d re-issues and API user %s (was %s), want unchanged", after.State, after.Reissues, after.Grant.APIUserID, before.Grant.APIUserID)
	}
	told := false
	for _, m := range f.slack.DMs("U0BOB") {
		told = told || strings.Contains(m.Text, "can reveal its token")
	}
	if !told {
		t.Errorf("bob was not told why nothing happened; his DMs: %+v", f.slack.DMs("U0BOB"))
	}
}
