package bot

import (
	"context"
	"slices"

	"github.com/cakegate/cakegate/commands"
)

// homeRefresh collects the requests one outbox run delivered notifications about, so that
// the Home tabs showing them are re-published once per run rather than once per
// notification: Slack allows about 100 views.publish a minute.
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

// flush re-publishes, in the background, the Home tabs that show the collected requests.
func (h *homeRefresh) flush() {
	if len(h.ids) == 0 {
		return
	}
	ids := h.ids
	h.ids = map[commands.RequestID]bool{}
	h.b.async(func(ctx context.Context) { h.b.refreshHomes(ctx, ids) })
}

// refreshHomes re-publishes, one user after another, the Home tab of the requester of each
// request in ids and of every approver of its role who has opened their Home tab since the
// process started.
func (b *Bot) refreshHomes(ctx context.Context, ids map[commands.RequestID]bool) {
	for _, user := range b.homeAudience(ctx, ids) {
		if ctx.Err() != nil {
			return
		}
		b.showHome(ctx, user)
	}
}

// homeAudience returns whose Home tab shows any of the requests in ids, sorted.
func (b *Bot) homeAudience(ctx context.Context, ids map[commands.RequestID]bool) []string {
	viewers := b.home.viewerList()
	users := map[string]bool{}
	approves := map[string]map[string]bool{} // role → viewer → approves it
	for id := range ids {
		r, err := b.requests.Get(ctx, id)
		if err != nil {
			b.log.Warn("app home: load request to refresh", "request", id.String(), "err", err)
			continue
		}
		users[r.Requester] = true
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
