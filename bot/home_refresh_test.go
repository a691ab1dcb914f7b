package bot_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// newInlineHomeFixture is the Home fixture on a manual clock, with the work after each
// acknowledgement and each outbox run done before it returns: what a refresh published is
// there to count when DeliverOutbox returns.
func newInlineHomeFixture(t *testing.T) (*homeFixture, *commandstest.Clock) {
	t.Helper()
	f := newHomeFixture(t)
	clock := commandstest.NewClock(time.Now())
	f.svc.Clock = clock
	f.bot = bot.New(bot.Config{
		Service:       f.svc,
		Slack:         slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(f.slack.URL())),
		SigningSecret: homeSecret,
		Requests:      f.store(),
		Outbox:        f.store(),
		Go:            func(work func()) { work() },
	})
	f.svc.Groups = f.bot
	f.srv = httptest.NewServer(f.bot.Handler(func() error { return nil }))
	t.Cleanup(f.srv.Close)
	return f, clock
}

// homeTab is what user's Home tab shows now ("" for none).
func (f *homeFixture) homeTab(user string) string {
	home, ok := f.slack.HomeTab(user)
	if !ok {
		return ""
	}
	return f.slack.RenderView(home)
}

// Only the tabs of people who opened theirs within a day are refreshed: the requester who
// never opened hers and the approver who opened his two days ago are left alone, and get
// the tab fresh when they open it.
func TestHomeRefreshedOnlyForRecentViewers(t *testing.T) {
	f, clock := newInlineHomeFixture(t)
	f.openHome(t, "U0BOB")
	clock.Advance(47 * time.Hour)
	f.openHome(t, "U0ANN")
	clock.Advance(time.Hour)
	before := f.publishes(t)

	f.request(t, "U0ALICE")
	f.deliverOutbox(t)
	after := f.publishes(t)
	for user, want := range map[string]int{"U0ANN": 1, "U0BOB": 0, "U0ALICE": 0} {
		if got := after[user] - before[user]; got != want {
			t.Errorf("%s's Home tab published %d times by the refresh, want %d", user, got, want)
		}
	}
	if bob := f.homeTab("U0BOB"); strings.Contains(bob, "R1") {
		t.Fatalf("bob's stale tab was refreshed:\n%s", bob)
	}
	f.openHome(t, "U0BOB")
	if bob := f.homeTab("U0BOB"); !strings.Contains(bob, "Waiting for you (1)") {
		t.Fatalf("bob opened his tab and it does not show R1:\n%s", bob)
	}
}

// A burst of changes refreshes a tab once now and once, with the last state, when the
// gap has passed: at the first outbox run after it, even one with nothing to deliver.
func TestHomeRefreshesCoalesceWithinTheGap(t *testing.T) {
	f, clock := newInlineHomeFixture(t)
	f.openHome(t, "U0ANN")
	before := f.publishes(t)["U0ANN"]

	f.request(t, "U0ALICE")
	f.deliverOutbox(t)
	if got := f.publishes(t)["U0ANN"] - before; got != 1 {
		t.Fatalf("the first change published ann's tab %d times, want 1", got)
	}
	for range 3 {
		clock.Advance(time.Second)
		f.request(t, "U0CAROL")
		f.deliverOutbox(t)
	}
	if got := f.publishes(t)["U0ANN"] - before; got != 1 {
		t.Fatalf("three more changes within the gap published ann's tab %d more times, want 0", got-1)
	}
	clock.Advance(2 * time.Second) // 5 s after the first refresh
	f.deliverOutbox(t)
	if got := f.publishes(t)["U0ANN"] - before; got != 2 {
		t.Fatalf("after the gap ann's tab was published %d times in all, want 2", got)
	}
	if ann := f.homeTab("U0ANN"); !strings.Contains(ann, "Waiting for you (4)") {
		t.Fatalf("ann's tab does not show the last state:\n%s", ann)
	}
	f.deliverOutbox(t)
	clock.Advance(time.Minute)
	f.deliverOutbox(t)
	if got := f.publishes(t)["U0ANN"] - before; got != 2 {
		t.Fatalf("runs with nothing new published ann's tab again: %d in all, want 2", got)
	}
}

// A 429 on views.publish delays the refresh until Slack's Retry-After has passed, and the
// tab then goes out with the state of then: never dropped.
func TestHomeRateLimitedRefreshIsDelayedNotDropped(t *testing.T) {
	f, clock := newInlineHomeFixture(t)
	f.openHome(t, "U0ANN")
	clock.Advance(time.Minute)
	f.slack.RateLimitNext("views.publish", 1, 30*time.Second)

	f.request(t, "U0ALICE")
	f.deliverOutbox(t)
	if ann := f.homeTab("U0ANN"); strings.Contains(ann, "R1") {
		t.Fatalf("the refresh went out despite the 429:\n%s", ann)
	}
	limited := len(f.slack.CallsTo("views.publish"))
	clock.Advance(20 * time.Second)
	f.request(t, "U0CAROL")
	f.deliverOutbox(t)
	if got := len(f.slack.CallsTo("views.publish")); got != limited {
		t.Fatalf("%d views.publish calls before Slack's Retry-After passed, want none", got-limited)
	}
	clock.Advance(10 * time.Second)
	f.deliverOutbox(t)
	if ann := f.homeTab("U0ANN"); !strings.Contains(ann, "Waiting for you (2)") {
		t.Fatalf("after the Retry-After ann's tab does not show both requests:\n%s", ann)
	}
	if got := len(f.slack.CallsTo("views.publish")); got != limited+1 {
		t.Fatalf("%d views.publish calls after the Retry-After, want 1", got-limited)
	}
}
