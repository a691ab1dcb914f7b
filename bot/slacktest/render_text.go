package slacktest

// RenderText renders a message text (mrkdwn) as a person reads it: mentions as @name for
// users added with AddUser, dates as their fallback text, Slack's escaping undone. A reply
// sent as text only (a response_url answer without blocks) is shown this way.
func (s *Server) RenderText(text string) string { return mrkdwnToPlain(text, s.userName) }
