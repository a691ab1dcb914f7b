package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
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

// signalCreates makes the fixture's Datacake report each API user it starts to create.
func (f *homeFixture) signalCreates() <-chan struct{} {
	created := make(chan struct{}, 16)
	f.datacake.OnCreate = func() { created <- struct{}{} }
	return created
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-homeContext(t).Done():
		t.Fatalf("waited in vain for %s", what)
	}
}

// clickReveal clicks Reveal token in user's direct message and delivers the click to the
// Bot serving base; it returns the click's trigger id.
func (f *homeFixture) clickReveal(t *testing.T, user, base string) string {
	t.Helper()
	dm := f.revealDM(t, user)
	cb, err := f.slack.ButtonClick(user, dm.Channel, dm.TS, bot.ActionReveal)
	if err != nil {
		t.Fatal(err)
	}
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		t.Fatal(err)
	}
	postSigned(t, base+"/slack/interactions", body)
	return cb.TriggerID
}

// onScreen is the one modal user sees, rendered.
func (f *homeFixture) onScreen(t *testing.T, user string) (slacktest.View, string) {
	t.Helper()
	views := f.slack.Views(user)
	if len(views) != 1 {
		t.Fatalf("%s sees %d modals, want one", user, len(views))
	}
	return views[0], f.slack.RenderView(views[0])
}

// currentToken is the token of request id's API user now.
func (f *homeFixture) currentToken(t *testing.T, id commands.RequestID) string {
	t.Helper()
	r, err := f.svc.Store.Get(homeContext(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != commands.StateActive || r.Grant == nil {
		t.Fatalf("%s is %s, want active", id, r.State)
	}
	return commandstest.TokenOf(r.Grant.APIUserID).Reveal()
}

// checkTokenOnlyInModals fails if token reached Slack other than by views.update, the
// modal its requester's click opened: in a message, a DM, an ephemeral, a response_url
// answer.
func (f *homeFixture) checkTokenOnlyInModals(t *testing.T, token string) {
	t.Helper()
	for _, c := range f.slack.Calls() {
		if c.Method != "views.update" && strings.Contains(fmt.Sprint(c.Params)+string(c.Blocks), token) {
			t.Errorf("the token went to Slack by %s", c.Method)
		}
	}
	for _, p := range f.slack.AllResponseURLPosts() {
		if strings.Contains(string(p.Body), token) {
			t.Error("the token went to a response URL")
		}
	}
}
