package slacktest

import (
	"strconv"
)

// conversationHistory serves conversations.history: the channel's top-level messages,
// newest first, limit at a time (default 100, at most 999) with a cursor to the next page,
// as Slack answers an internal app.
func (s *Server) conversationHistory(req *apiRequest) result {
	ch := req.params["channel"]
	if code := s.chanErrs[ch]; code != "" {
		return fail(code)
	}
	if ch == "" {
		return fail("channel_not_found")
	}
	limit := 100
	if v := req.params["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fail("invalid_limit")
		}
		limit = min(n, 999)
	}
	start := 0
	if c := req.params["cursor"]; c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			return fail("invalid_cursor")
		}
		start = n
	}
	var top []*Message
	for _, m := range s.messages[ch] {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			top = append(top, m)
		}
	}
	msgs := []any{}
	for i := len(top) - 1 - start; i >= 0 && len(msgs) < limit; i-- {
		msgs = append(msgs, s.messageJSON(top[i]))
	}
	next := ""
	if start+len(msgs) < len(top) {
		next = strconv.Itoa(start + len(msgs))
	}
	return result{fields: map[string]any{
		"messages":          msgs,
		"has_more":          next != "",
		"response_metadata": map[string]any{"next_cursor": next},
	}}
}
