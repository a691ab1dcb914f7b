package bot

import (
	"context"
	"slices"

	"github.com/cakegate/cakegate/commands"
)

// homeRefresh collects the requests one outbox run delivered notifications about, so that
// the Home tabs showing them are re-published once per run rather than once per
// notification, and each at most once per homeRefreshGap: Slack allows about 100
// views.publish a minute.
type homeRefresh struct {
	b   *Bot
	ids map[commands.RequestID]bool
}

// newHomeRefresh starts collecting for one outbox run.
func (b *Bot) newHomeRefresh() *homeRefresh {
	return &homeRefresh{b: b, ids: map[commands.RequestID]bool{}}
}

// delivered notes that n reached Slack: the request it is about has changed.
func (h *homeRefresh) delivered(n commands.Notification) {
	if n.Request != 0 {
		h.ids[n.Request] = true
	}
}

// flush re-publishes, in the background, the Home tabs that show the collected requests,
// and those owed a refresh from earlier runs whose gap has passed (homeRefreshGap).
func (h *homeRefresh) flush() {
	if len(h.ids) == 0 {
		if h.b.home.anyDue(h.b.now()) {
			h.b.async(h.b.publishDueHomes)
		}
		return
	}
	ids := h.ids
	h.ids = map[commands.RequestID]bool{}
	h.b.async(func(ctx context.Context) { h.b.refreshHomes(ctx, ids, "") })
}

// refreshHomes re-publishes, one user after another, the Home tab of the requester of each
// request in ids and of every approver of its role, of those who opened their Home tab
// within homeRecent. A tab refreshed less than homeRefreshGap ago, or while Slack asks to
// wait, is owed and goes out once that has passed (armHomeWake), showing the state of
// then. The tab of actor ("": none), whose click made the change, is not held back by the
// gap.
func (b *Bot) refreshHomes(ctx context.Context, ids map[commands.RequestID]bool, actor string) {
	for _, user := range b.homeAudience(ctx, ids) {
		if user == actor {
			b.home.refreshNow(user)
		}
		b.home.owe(user)
	}
	b.publishDueHomes(ctx)
}

// publishDueHomes publishes the Home tabs owed a refresh that may go out now.
func (b *Bot) publishDueHomes(ctx context.Context) {
	users := b.home.due(b.now())
	for i, user := range users {
		if ctx.Err() != nil {
			for _, u := range users[i:] {
				b.home.owe(u) // not dropped: a later run publishes them
			}
			return
		}
		b.showHome(ctx, user)
	}
	b.armHomeWake()
}

// armHomeWake has an outbox run come when the next tab held back (by homeRefreshGap or
// Slack's 429) may go out, so that it waits for its gap or Slack, not for the outbox job.
// The wait is on the service's clock, so tests and the simulation move it.
func (b *Bot) armHomeWake() {
	at, ok := b.home.nextWake(b.now())
	if !ok {
		return
	}
	timers, ok := b.svc.Clock.(commands.Timers)
	if !ok {
		timers = commands.SystemClock{}
	}
	wake := timers.At(at)
	go func() {
		<-wake
		b.Kick()
	}()
}

// homeAudience returns whose Home tab shows any of the requests in ids, of those who
// opened theirs within homeRecent, sorted.
func (b *Bot) homeAudience(ctx context.Context, ids map[commands.RequestID]bool) []string {
	now := b.now()
	viewers := b.home.viewerList(now)
	users := map[string]bool{}
	approves := map[string]map[string]bool{} // role → viewer → approves it
	for id := range ids {
		r, err := b.requests.Get(ctx, id)
		if err != nil {
			b.log.Warn("app home: load request to refresh", "request", id.String(), "err", err)
			continue
		}
		if b.home.recent(r.Requester, now) {
			users[r.Requester] = true
		}
		byViewer, known := approves[r.Role]
		if !known {
			byViewer = b.approversAmong(ctx, r.Role, viewers)
			approves[r.Role] = byViewer
		}
		for v, ok := range byViewer {
			if ok {
				users[v] = true
			}
		}
	}
	out := make([]string, 0, len(users))
	for u := range users {
		if u != "" && u != commands.Actor {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// approversAmong tells which of users approve role, as commands decides it.
func (b *Bot) approversAmong(ctx context.Context, role string, users []string) map[string]bool {
	out := make(map[string]bool, len(users))
	if b.svc.Policy == nil {
		return out
	}
	for _, u := range users {
		ok, err := b.svc.Approves(ctx, u, role)
		if err != nil {
			b.log.Warn("app home: approvers", "user", u, "err", err)
		}
		out[u] = ok && err == nil
	}
	return out
}
