package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Call is one request the fake received on its Web API, recorded whether it
// succeeded or not.
type Call struct {
	// Method is the Web API method, e.g. "chat.postMessage".
	Method string
	// Params holds the decoded form fields or, for JSON bodies, the top-level
	// fields (strings as they are, anything else as JSON text). The token is
	// left out; see Token.
	Params map[string]string
	// Blocks is the Block Kit array the call carried (the blocks field, or the
	// view's blocks for views.*), nil when it carried none.
	Blocks json.RawMessage
	// Token is the token the call authenticated with, from the Authorization
	// header or the token form field (slack-go sends form-encoded methods with
	// the field and JSON methods with the header).
	Token string
	// Time is when the fake received the call, on its clock.
	Time time.Time
	// Error is the Slack error code answered ("" when ok); HTTP 429 and 5xx
	// answers are recorded as "ratelimited" and "http_5xx".
	Error string
	// Problems says why a payload was rejected, in Slack's
	// "[ERROR] … [json-pointer:/…]" form.
	Problems []string
}

// OK reports whether the fake answered the call with ok:true.
func (c Call) OK() bool { return c.Error == "" }

func (c Call) clone() Call {
	c.Params = maps.Clone(c.Params)
	c.Blocks = slices.Clone(c.Blocks)
	c.Problems = slices.Clone(c.Problems)
	return c
}

// Calls returns every Web API call received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.clone()
	}
	return out
}

// CallsTo returns the calls to one method, oldest first.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c.clone())
		}
	}
	return out
}

// Notify returns a channel that is closed the next time the fake records
// anything (a call, an ack, a response URL post, a Socket Mode connection).
// Take a fresh one after each wake-up.
func (s *Server) Notify() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// WaitFor waits until cond returns true, re-evaluating it after every change,
// and fails when ctx ends first. cond may call the Server's query methods.
func (s *Server) WaitFor(ctx context.Context, cond func(*Server) bool) error {
	for {
		ch := s.Notify()
		if cond(s) {
			return nil
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return fmt.Errorf("slacktest: server closed")
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitForCall waits for a call to method that match accepts (nil accepts any),
// counting calls already recorded, and returns the first such call.
func (s *Server) WaitForCall(ctx context.Context, method string, match func(Call) bool) (Call, error) {
	var found Call
	err := s.WaitFor(ctx, func(s *Server) bool {
		for _, c := range s.CallsTo(method) {
			if match == nil || match(c) {
				found = c
				return true
			}
		}
		return false
	})
	if err != nil {
		return Call{}, fmt.Errorf("slacktest: waiting for %s: %w", method, err)
	}
	return found, nil
}
