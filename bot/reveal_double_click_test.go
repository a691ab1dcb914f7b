package bot_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/bot/slacktest"
)

// slackGate is the Bot's HTTP client to Slack, holding calls back until the test lets them
// through: each views.open until its trigger id is let through, so a test decides when
// each click's window opens, and views.publish once holdPublishes is called.
type slackGate struct {
	arrived chan string
	mu      sync.Mutex
	let     map[string]chan struct{}
	publish chan struct{} // if not nil, views.publish waits until it is closed
	held    chan struct{} // told of each views.publish held back
}

// holdPublishes holds every views.publish (a Home tab refresh) back until release is
// called; held is told of each.
func (g *slackGate) holdPublishes() (held <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.publish, g.held = make(chan struct{}), make(chan struct{}, 16)
	return g.held, sync.OnceFunc(func() { close(g.publish) })
}

func newSlackGate() *slackGate {
	return &slackGate{arrived: make(chan string, 16), let: map[string]chan struct{}{}}
}

func (g *slackGate) gate(trigger string) chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.let[trigger] == nil {
		g.let[trigger] = make(chan struct{})
	}
	return g.let[trigger]
}

// Do implements slack.HTTPRequester.
func (g *slackGate) Do(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	publish, held := g.publish, g.held
	g.mu.Unlock()
	if publish != nil && strings.HasSuffix(req.URL.Path, "/views.publish") {
		held <- struct{}{}
		select {
		case <-publish:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	if strings.HasSuffix(req.URL.Path, "/views.open") {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var p struct {
			TriggerID string `json:"trigger_id"`
		}
		_ = json.Unmarshal(body, &p)
		gate := g.gate(p.TriggerID)
		select {
		case <-gate:
		default:
			g.arrived <- p.TriggerID
			select {
			case <-gate:
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
	}
	return http.DefaultClient.Do(req)
}

// open lets the views.open of trigger through, now or when it comes.
func (g *slackGate) open(trigger string) { close(g.gate(trigger)) }

// next waits for a views.open to be held back and returns its trigger id.
func (g *slackGate) next(t *testing.T) string {
	t.Helper()
	select {
	case trigger := <-g.arrived:
		return trigger
	case <-homeContext(t).Done():
		t.Fatal("no click opened a window")
		return ""
	}
}

// nextAfter runs click, which makes one click, and returns the trigger id of the
// views.open it holds back.
func (g *slackGate) nextAfter(t *testing.T, click func()) string {
	t.Helper()
	click()
	return g.next(t)
}

// TestRevealDoubleClick: a double click on Reveal token opens two windows, and the second
// replaces the first on screen while the token is being created. The token is shown in the
// window on screen, once; before, it went to the replaced window (Slack refused it, or took
// it unseen) and the window on screen said the token was being created, for ever.
func TestRevealDoubleClick(t *testing.T) {
	for _, hidden := range []bool{false, true} {
		t.Run(map[bool]string{false: "ReplacedWindowNotFound", true: "ReplacedWindowUpdatedUnseen"}[hidden], func(t *testing.T) {
			gate := newSlackGate()
			f := newHomeFixture(t, slack.OptionHTTPClient(gate))
			f.slack.AcceptUpdatesOfHiddenViews(hidden)
			r := f.approved(t, "U0CAROL")
			created := f.signalCreates()

			f.clickReveal(t, "U0CAROL", f.srv.URL)
			f.clickReveal(t, "U0CAROL", f.srv.URL)
			first, second := gate.next(t), gate.next(t) // both found R1 approved
			gate.open(first)
			waitFor(t, created, "the first click to create the API user")
			gate.open(second)
			f.settle(t)

			token := f.currentToken(t, r.ID)
			if _, text := f.onScreen(t, "U0CAROL"); !strings.Contains(text, token) {
				t.Fatalf("carol's window does not show the token:\n%s", text)
			}
			if n := f.datacake.Created.Load(); n != 1 {
				t.Errorf("%d API users created, want 1", n)
			}
			f.checkTokenOnlyInModals(t, token)
		})
	}
}

// TestRevealDoubleClickAcrossReplicas: the two clicks of a double click reach two replicas,
// which share the store but not their windows. The second finds the token being created by
// the first and says so in the window on screen, with what to do if the other window is
// gone; the Reveal button then works: it shows a new token (Slack refused the first
// window's update, so the unseen token was deleted) or offers to re-issue it (Slack took
// the update unseen). Before, the window said only that the token was being created.
func TestRevealDoubleClickAcrossReplicas(t *testing.T) {
	for _, hidden := range []bool{false, true} {
		t.Run(map[bool]string{false: "ReplacedWindowNotFound", true: "ReplacedWindowUpdatedUnseen"}[hidden], func(t *testing.T) {
			gate := newSlackGate()
			f := newHomeFixture(t, slack.OptionHTTPClient(gate))
			f.svc.Policy.MaxReissues = 1
			f.slack.AcceptUpdatesOfHiddenViews(hidden)
			other := f.replica(slack.OptionHTTPClient(gate))
			otherSrv := httptest.NewServer(other.Handler(func() error { return nil }))
			t.Cleanup(otherSrv.Close)
			r := f.approved(t, "U0CAROL")
			created, proceed := make(chan struct{}, 4), make(chan struct{})
			var creates atomic.Int32
			f.datacake.OnCreate = func() {
				created <- struct{}{}
				if creates.Add(1) == 1 {
					<-proceed // the first click holds R1 until the second has answered
				}
			}

			first := f.clickReveal(t, "U0CAROL", f.srv.URL)
			if next := gate.next(t); next != first {
				t.Fatalf("held back %s, want the first click's %s", next, first)
			}
			second := f.clickReveal(t, "U0CAROL", otherSrv.URL)
			if next := gate.next(t); next != second {
				t.Fatalf("held back %s, want the second click's %s", next, second)
			}
			gate.open(first)
			waitFor(t, created, "the first click to create the API user")
			gate.open(second)
			v := f.waitView(t, "U0CAROL", func(v slacktest.View) bool {
				return strings.Contains(f.slack.RenderView(v), "Another click of yours is creating the token of *R1*")
			})
			close(proceed)
			f.settle(t)
			if err := other.Shutdown(homeContext(t)); err != nil {
				t.Fatal(err)
			}
			if on, text := f.onScreen(t, "U0CAROL"); on.ID != v.ID || !strings.Contains(text, "click *Reveal token* again") {
				t.Fatalf("carol's window says:\n%s", text)
			}

			f.restart(t, slack.OptionHTTPClient(gate)) // the first replica's work is done; a new Bot takes the next click
			gate.open(gate.nextAfter(t, func() { f.clickReveal(t, "U0CAROL", f.srv.URL) }))
			if hidden {
				offer := f.waitView(t, "U0CAROL", func(v slacktest.View) bool { return v.CallbackID == "cakegate_reissue" })
				cb, err := f.slack.ViewButtonClick("U0CAROL", offer.ID, bot.ActionReissue)
				if err != nil {
					t.Fatal(err)
				}
				f.deliver(t, cb)
			}
			f.waitView(t, "U0CAROL", func(v slacktest.View) bool { return strings.Contains(string(v.Blocks), "Copy it now") })
			f.settle(t)
			token := f.currentToken(t, r.ID)
			if _, text := f.onScreen(t, "U0CAROL"); !strings.Contains(text, token) {
				t.Fatalf("carol's window does not show the token:\n%s", text)
			}
			f.checkTokenOnlyInModals(t, token)
		})
	}
}

// TestReissueWhileTheRevealClickFinishes: a click on Re-issue that comes while the click
// that revealed the token is still at work (refreshing Home tabs) re-issues the token once
// that is done; the token the first click showed in another window is no reason to
// refuse (found by the story test under load: the Re-issue click only showed the offer
// again).
func TestReissueWhileTheRevealClickFinishes(t *testing.T) {
	gate := newSlackGate()
	f := newHomeFixture(t, slack.OptionHTTPClient(gate))
	f.svc.Policy.MaxReissues = 1
	f.openHome(t, "U0CAROL")
	f.waitHome(t, "U0CAROL", homeShows("My tokens"))
	r := f.approved(t, "U0CAROL")
	// The approval refreshes carol's Home tab in the background (she opened it); it is
	// done before any publish is held back.
	f.waitHome(t, "U0CAROL", homeShows("[Reveal token]"))
	held, release := gate.holdPublishes()
	defer release()

	gate.open(gate.nextAfter(t, func() { f.clickReveal(t, "U0CAROL", f.srv.URL) }))
	first := f.waitView(t, "U0CAROL", func(v slacktest.View) bool { return strings.Contains(string(v.Blocks), "Copy it now") })
	waitFor(t, held, "the first click to refresh carol's Home tab, once R1 is active")
	gate.open(gate.nextAfter(t, func() { f.clickReveal(t, "U0CAROL", f.srv.URL) }))
	offer := f.waitView(t, "U0CAROL", func(v slacktest.View) bool { return v.CallbackID == "cakegate_reissue" })
	cb, err := f.slack.ViewButtonClick("U0CAROL", offer.ID, bot.ActionReissue)
	if err != nil {
		t.Fatal(err)
	}
	f.deliver(t, cb)
	release()
	f.waitView(t, "U0CAROL", func(v slacktest.View) bool {
		return v.ID == offer.ID && strings.Contains(string(v.Blocks), "Copy it now")
	})
	f.settle(t)
	got, err := f.svc.Store.Get(homeContext(t), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if token := f.currentToken(t, r.ID); got.Reissues != 1 || strings.Contains(string(first.Blocks), token) {
		t.Fatalf("R1 was re-issued %d times, want once, with a new token", got.Reissues)
	}
}
