package slacktest

import (
	"encoding/json"
	"fmt"
)

// UserPosts has a person post text in channel (a C… or G… channel, or the bot's DM with
// them), keeps the message like Slack does, and returns it with the message event Slack
// sends apps subscribed to message.channels, message.groups or message.im: the inner event
// to give SendEvent or EventCallback.
func (s *Server) UserPosts(user, channel, text string) (Message, json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(channel) > 0 && (channel[0] == 'U' || channel[0] == 'W') {
		channel = DMChannel(channel)
	}
	m := &Message{Channel: channel, TS: s.nextTSLocked(), Text: text, User: user, Posted: s.now()}
	s.messages[channel] = append(s.messages[channel], m)
	ev, err := json.Marshal(map[string]any{
		"type": "message", "user": user, "text": text, "ts": m.TS, "channel": channel,
		"channel_type": channelType(channel), "event_ts": m.TS,
	})
	return m.clone(), ev, err
}

// UserEdits has the author of the message at ts in channel change its text, and returns
// the message_changed event Slack sends for it.
func (s *Server) UserEdits(channel, ts, text string) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessageLocked(channel, ts)
	if m == nil {
		return nil, fmt.Errorf("slacktest: no message %s in %s", ts, channel)
	}
	previous := map[string]any{"type": "message", "user": m.User, "text": m.Text, "ts": m.TS}
	m.Text, m.Updated = text, s.now()
	m.Updates++
	return json.Marshal(map[string]any{
		"type": "message", "subtype": "message_changed", "hidden": true, "channel": channel,
		"channel_type": channelType(channel), "ts": s.nextTSLocked(), "event_ts": m.TS,
		"message":          map[string]any{"type": "message", "user": m.User, "text": text, "ts": m.TS, "edited": map[string]any{"user": m.User, "ts": m.TS}},
		"previous_message": previous,
	})
}

// channelType is the channel_type of a message event in channel.
func channelType(channel string) string {
	switch {
	case channel == "":
		return ""
	case channel[0] == 'D':
		return "im"
	case channel[0] == 'G':
		return "group"
	}
	return "channel"
}
