package bot

import (
	"slices"
	"sync"
	"time"
)

// Limits of what the bot remembers about Home tabs. The memory is lost on restart, which
// costs nothing worse than a Home tab that waits for its user to open it again.
const (
	// maxHomeViewers bounds how many users who opened their Home tab are remembered; past
	// it, whoever opened theirs longest ago is forgotten.
	maxHomeViewers = 1000
	// homeNoticeTTL is how long the line saying what a click on the Home tab did stays on
	// it. Opening the tab again clears it sooner.
	homeNoticeTTL = 10 * time.Minute
	// homeRecent is how long after opening their Home tab a person's tab is refreshed as
	// what it shows changes. Opening the tab always publishes it afresh, so a refresh only
	// matters to someone who may be looking at it now: a tab left open through a working
	// day, an approver's queue on a second screen. Whoever opened theirs longer ago gets it
	// fresh when they open it again, and costs Slack's views.publish limit nothing meanwhile.
	homeRecent = 24 * time.Hour
	// homeRefreshGap is the least time between two refreshes of one person's tab. A burst
	// of changes (a hundred approvals in a minute) becomes one refresh now and one, with
	// the last state, once the gap has passed. Publishes that answer the person's own
	// opening of the tab or click on it are not held back.
	homeRefreshGap = 5 * time.Second
)

// homeState is the bot's memory of Home tabs: who has opened theirs since the process
// started (those who did recently see their tab refreshed as it changes), the notice each
// shows, which tabs are being published right now, and which are owed a refresh. It is
// safe for concurrent use.
type homeState struct {
	mu      sync.Mutex
	viewers map[string]time.Time // user → when they last opened their Home tab
	notices map[string]homeNotice
	// busy holds the users whose Home tab is being published; again, those to publish once
	// more when that is done, because something changed meanwhile.
	busy  map[string]bool
	again map[string]bool
	// shown is a digest of what each user's tab was last published with, so an unchanged
	// tab is not sent again; opening the tab forgets it (Slack may show another).
	shown map[string]string
	// openings counts each user's openings of their tab, so that a publish that began
	// before the latest one does not record what it sent as what the tab shows.
	openings map[string]uint64
	// owed holds the users whose tab is to be refreshed once refreshedAt's gap has passed
	// and Slack's pause is over; refreshedAt is when each was last refreshed.
	owed        map[string]bool
	refreshedAt map[string]time.Time
	// pausedUntil holds every views.publish back after Slack answered 429: its limit is
	// the method's, not one user's.
	pausedUntil time.Time
	// wakeAt is when the wake armed last (armHomeWake) ends; zero: none armed.
	wakeAt time.Time
}

// nextWake returns when the next owed tab may go out, if that is after now and no wake
// armed already ends by then; it counts the wake as armed.
func (h *homeState) nextWake(now time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var next time.Time
	for u := range h.owed {
		at := h.pausedUntil
		if last, ok := h.refreshedAt[u]; ok && last.Add(homeRefreshGap).After(at) {
			at = last.Add(homeRefreshGap)
		}
		if !at.After(now) {
			return time.Time{}, false // one may go now: the caller's run publishes it
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if next.IsZero() || (h.wakeAt.After(now) && !h.wakeAt.After(next)) {
		return time.Time{}, false
	}
	h.wakeAt = next
	return next, true
}

// owe records that user's tab is to be refreshed: it shows something that changed.
func (h *homeState) owe(user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.owed == nil {
		h.owed = map[string]bool{}
	}
	h.owed[user] = true
}

// due takes, sorted, the users whose tab is owed a refresh and may have it at now: Slack's
// pause is over and their last refresh is homeRefreshGap ago. They are no longer owed, and
// count as refreshed at now.
func (h *homeState) due(now time.Time) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.owed) == 0 || now.Before(h.pausedUntil) {
		return nil
	}
	if h.refreshedAt == nil {
		h.refreshedAt = map[string]time.Time{}
	}
	var out []string
	for u := range h.owed {
		if at, ok := h.refreshedAt[u]; ok && now.Sub(at) < homeRefreshGap && !now.Before(at) {
			continue
		}
		out = append(out, u)
	}
	if len(h.refreshedAt)+len(out) > maxHomeViewers {
		// The gaps of those refreshed longest ago have passed anyway, bar a few.
		for u, at := range h.refreshedAt {
			if now.Sub(at) >= homeRefreshGap {
				delete(h.refreshedAt, u)
			}
		}
	}
	for _, u := range out {
		delete(h.owed, u)
		h.refreshedAt[u] = now
	}
	slices.Sort(out)
	return out
}

// refreshNow lets user's next refresh go out without waiting for homeRefreshGap: it
// answers their own click.
func (h *homeState) refreshNow(user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.refreshedAt, user)
}

// anyDue reports whether due(now) would give someone, without taking them.
func (h *homeState) anyDue(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Before(h.pausedUntil) {
		return false
	}
	for u := range h.owed {
		if at, ok := h.refreshedAt[u]; !ok || now.Sub(at) >= homeRefreshGap || now.Before(at) {
			return true
		}
	}
	return false
}

// paused reports whether Slack asked to wait with views.publish until after now.
func (h *homeState) paused(now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return now.Before(h.pausedUntil)
}

// limited records Slack's 429 on a publish of user's tab at now: every publish waits until
// until, and user's tab is owed, so the last version goes out then.
func (h *homeState) limited(user string, until time.Time) {
	h.mu.Lock()
	if until.After(h.pausedUntil) {
		h.pausedUntil = until
	}
	delete(h.shown, user)
	if h.refreshedAt != nil {
		delete(h.refreshedAt, user) // the refresh did not happen: no gap to keep
	}
	h.mu.Unlock()
	h.owe(user)
}

// recent reports whether user opened their Home tab within homeRecent of now.
func (h *homeState) recent(user string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	at, ok := h.viewers[user]
	return ok && now.Sub(at) <= homeRecent
}

// shows reports whether user's tab was last published with sum.
func (h *homeState) shows(user, sum string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return sum != "" && h.shown[user] == sum
}

// opening returns how many times user has opened their tab, for published.
func (h *homeState) opening(user string) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.openings[user]
}

// published records that user's tab now shows sum ("": unknown, after a failure), for a
// publish that began at their opening-th opening.
func (h *homeState) published(user, sum string, opening uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.openings[user] != opening {
		return // opened meanwhile: Slack may show another tab, and one publish is under way
	}
	if h.shown == nil {
		h.shown = map[string]string{}
	}
	if sum == "" {
		delete(h.shown, user)
		return
	}
	if _, known := h.shown[user]; !known && len(h.shown) >= maxHomeViewers {
		clear(h.shown) // rare: forgetting costs one publish each
	}
	h.shown[user] = sum
}

// homeNotice is a line at the top of a user's Home tab about what their last click did.
type homeNotice struct {
	text string
	at   time.Time
}

// opened records that user opened their Home tab at now, and clears their notice: it was
// about a click on the tab they left.
func (h *homeState) opened(user string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.viewers == nil {
		h.viewers = map[string]time.Time{}
	}
	if _, known := h.viewers[user]; !known && len(h.viewers) >= maxHomeViewers {
		oldest, first := "", time.Time{}
		for u, at := range h.viewers {
			if oldest == "" || at.Before(first) {
				oldest, first = u, at
			}
		}
		delete(h.viewers, oldest)
		delete(h.openings, oldest)
	}
	h.viewers[user] = now
	delete(h.notices, user)
	delete(h.shown, user)
	if h.openings == nil {
		h.openings = map[string]uint64{}
	}
	h.openings[user]++
}

// viewerList returns the users who opened their Home tab within homeRecent of now, in no
// particular order.
func (h *homeState) viewerList(now time.Time) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.viewers))
	for u, at := range h.viewers {
		if now.Sub(at) <= homeRecent {
			out = append(out, u)
		}
	}
	return out
}

// setNotice puts text at the top of user's Home tab.
func (h *homeState) setNotice(user, text string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.notices == nil {
		h.notices = map[string]homeNotice{}
	}
	if _, known := h.notices[user]; !known && len(h.notices) >= maxHomeViewers {
		oldest := ""
		for u, n := range h.notices {
			if now.Sub(n.at) > homeNoticeTTL {
				delete(h.notices, u)
			} else if oldest == "" || n.at.Before(h.notices[oldest].at) {
				oldest = u
			}
		}
		if len(h.notices) >= maxHomeViewers {
			delete(h.notices, oldest)
		}
	}
	h.notices[user] = homeNotice{text: text, at: now}
}

// notice returns the notice user's Home tab shows at now, if any.
func (h *homeState) notice(user string, now time.Time) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, ok := h.notices[user]
	if !ok {
		return ""
	}
	if now.Sub(n.at) > homeNoticeTTL || now.Before(n.at) {
		delete(h.notices, user)
		return ""
	}
	return n.text
}

// claim reports whether the caller is to publish user's Home tab. If another publish of it
// is under way, claim asks that one to publish once more when done and reports false, so
// two publishes of one tab never race and the last one shows the latest state.
func (h *homeState) claim(user string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.busy == nil {
		h.busy, h.again = map[string]bool{}, map[string]bool{}
	}
	if h.busy[user] {
		h.again[user] = true
		return false
	}
	h.busy[user] = true
	return true
}

// release ends a publish of user's Home tab. It reports false when the caller must publish
// once more, because a claim came in meanwhile.
func (h *homeState) release(user string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.again[user] {
		delete(h.again, user)
		return false
	}
	delete(h.busy, user)
	return true
}

// abandon ends a publish of user's Home tab for good (the work was cancelled), so that
// the next claim publishes.
func (h *homeState) abandon(user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.busy, user)
	delete(h.again, user)
}
