package slacktest

import "strings"

// getPermalink serves chat.getPermalink for a message the fake holds, in Slack's form
// https://DOMAIN.slack.com/archives/CHANNEL/pTS-without-the-dot.
func (s *Server) getPermalink(req *apiRequest) result {
	ch, ts := req.params["channel"], req.params["message_ts"]
	if ch == "" {
		return fail("channel_not_found")
	}
	if s.findMessageLocked(ch, ts) == nil {
		return fail("message_not_found")
	}
	return result{fields: map[string]any{
		"channel":   ch,
		"permalink": "https://cakegate-test.slack.com/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", ""),
	}}
}
