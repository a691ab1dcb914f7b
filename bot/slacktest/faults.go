package slacktest

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// fault is one injected failure, consumed by the next call to its method.
type fault struct {
	slackError string        // ok:false with this error
	status     int           // or an HTTP error status
	retryAfter time.Duration // Retry-After for 429
	// conversation, if set, is the only conversation whose calls meet the fault: a
	// channel id, or a user id for conversations.open (see conversationOf).
	conversation string
}

func (f *fault) write(w http.ResponseWriter) {
	if f.status == http.StatusTooManyRequests {
		// Slack sends whole seconds; round up so a short wait is never 0 by accident.
		secs := int(math.Ceil(f.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeJSON(w, f.status, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	// Slack's 5xx bodies are HTML pages; slack-go does not parse them.
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte("<html><body>Slack is having trouble</body></html>"))
}

func (s *Server) addFaults(method string, n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], f)
	}
}

// takeFaultLocked consumes the first fault queued for req's method that applies to its
// conversation.
func (s *Server) takeFaultLocked(req *apiRequest) *fault {
	q := s.faults[req.method]
	i := slices.IndexFunc(q, func(f fault) bool { return f.conversation == "" || f.conversation == conversationOf(req) })
	if i < 0 {
		return nil
	}
	f := q[i]
	s.faults[req.method] = slices.Delete(slices.Clone(q), i, i+1)
	return &f
}

// conversationOf names the conversation a call is about: its channel, or for
// conversations.open the user(s) it opens a direct message with.
func conversationOf(req *apiRequest) string {
	if ch := req.params["channel"]; ch != "" {
		return ch
	}
	return req.params["users"]
}

// FailNext makes the next n calls to method answer ok:false with slackError
// (e.g. "internal_error", "channel_not_found") instead of doing anything.
// Faults of all kinds queue per method in the order they were added.
func (s *Server) FailNext(method string, n int, slackError string) {
	s.addFaults(method, n, fault{slackError: slackError})
}

// RateLimitNext makes the next n calls to method answer HTTP 429 with a
// Retry-After header (whole seconds, rounded up), which slack-go turns into
// *slack.RateLimitedError. Nothing is done for those calls.
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.addFaults(method, n, fault{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// Fail5xxNext makes the next n calls to method answer HTTP 500 with an HTML
// body, which slack-go reports as slack.StatusCodeError.
func (s *Server) Fail5xxNext(method string, n int) {
	s.addFaults(method, n, fault{status: http.StatusInternalServerError})
}

// RateLimitNextIn is RateLimitNext for the calls to method about one conversation
// only: a channel id (DMChannel(user) for a direct message), or for
// conversations.open the user. Calls about other conversations go through, so a
// test can make Slack slow down for one person among many.
func (s *Server) RateLimitNextIn(method, conversation string, n int, retryAfter time.Duration) {
	s.addFaults(method, n, fault{status: http.StatusTooManyRequests, retryAfter: retryAfter, conversation: conversation})
}

// Fail5xxNextIn is Fail5xxNext for the calls to method about one conversation only
// (see RateLimitNextIn).
func (s *Server) Fail5xxNextIn(method, conversation string, n int) {
	s.addFaults(method, n, fault{status: http.StatusInternalServerError, conversation: conversation})
}

// SetChannelError makes every post, update or info request for channel fail
// with slackError, typically "channel_not_found" (archived, deleted or never
// there) or "not_in_channel" (the bot was not invited; conversations.info still
// works then, as in Slack). An empty slackError clears it.
func (s *Server) SetChannelError(channel, slackError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slackError == "" {
		delete(s.chanErrs, channel)
		return
	}
	s.chanErrs[channel] = slackError
}

// SetChannelNotFound is SetChannelError(channel, "channel_not_found").
func (s *Server) SetChannelNotFound(channel string) { s.SetChannelError(channel, "channel_not_found") }

// BlockDMs makes conversations.open with user, and posting to the user's DM
// channel, fail with slackError: "cannot_dm_bot" for bots, "user_disabled" for
// deactivated accounts (the default when slackError is empty is
// "cannot_dm_bot").
func (s *Server) BlockDMs(user, slackError string) {
	if slackError == "" {
		slackError = "cannot_dm_bot"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blockedDMs[user] = slackError
}

// UnblockDMs undoes BlockDMs.
func (s *Server) UnblockDMs(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blockedDMs, user)
}
