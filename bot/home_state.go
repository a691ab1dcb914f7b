package bot

import (
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
)

// homeState is the bot's memory of Home tabs: who has opened theirs since the process
// started (approvers among them see their queue refreshed as it changes), the notice each
// shows, and which tabs are being published right now. It is safe for concurrent use.
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
}

// shows reports whether user's tab was last published with sum.
func (h *homeState) shows(user, sum string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return sum != "" && h.shown[user] == sum
}

// published records that user's tab now shows sum ("": unknown, after a failure).
func (h *homeState) published(user, sum string) {
	h.mu.Lock()
	defer h.mu.Unlock()
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
	}
	h.viewers[user] = now
	delete(h.notices, user)
	delete(h.shown, user)
}

// viewerList returns the users who opened their Home tab, in no particular order.
func (h *homeState) viewerList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.viewers))
	for u := range h.viewers {
		out = append(out, u)
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
