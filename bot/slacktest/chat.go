package slacktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Message is the current state of a message the bot posted: chat.update and
// response URLs with replace_original change it in place.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // set for replies in a thread
	Text     string
	Blocks   json.RawMessage // the Block Kit array, nil when the message has none
	User     string          // the bot user that posted it
	Posted   time.Time
	Updated  time.Time // zero until changed
	Updates  int       // how many times it was changed
}

// Ephemeral is a message only one user sees: chat.postEphemeral, a response URL
// answer without response_type in_channel, or a slash command's ack payload.
type Ephemeral struct {
	Channel string
	User    string
	TS      string
	Text    string
	Blocks  json.RawMessage
	Time    time.Time
	Via     string // "chat.postEphemeral", "response_url" or "ack"
}

// maxMessageText is Slack's limit on a message's text; longer text is refused with msg_too_long.
const maxMessageText = 40000

func (m *Message) clone() Message {
	c := *m
	c.Blocks = slices.Clone(m.Blocks)
	return c
}

// nextTSLocked returns a message timestamp after every one handed out before,
// however the clock moves.
func (s *Server) nextTSLocked() string {
	micros := max(s.now().UnixMicro(), s.lastTS+1)
	s.lastTS = micros
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// content is the text and blocks of a message request, validated like Slack.
type content struct {
	text      string
	hasText   bool
	blocks    json.RawMessage
	hasBlocks bool
	nblocks   int
	hasAttach bool
}

// empty reports whether a new message would show nothing, which Slack refuses with no_text.
func (c content) empty() bool { return c.text == "" && c.nblocks == 0 && !c.hasAttach }

func messageContent(params map[string]string) (content, result) {
	var c content
	c.text, c.hasText = params["text"]
	_, c.hasAttach = params["attachments"]
	raw, has := params["blocks"]
	c.hasBlocks = has
	if utf8.RuneCountInString(c.text) > maxMessageText {
		return c, fail("msg_too_long")
	}
	if has {
		blocks, n, res := checkMessageBlocks(raw)
		if res.err != "" {
			return c, res
		}
		c.blocks, c.nblocks = blocks, n
	}
	return c, result{}
}

// payloadContent is the text and blocks of a message that comes as JSON (a slash
// command's ack payload, a response URL answer), validated like Slack; blocks that
// are missing or null count as none.
func payloadContent(text string, blocks json.RawMessage) (content, result) {
	c := content{text: text, hasBlocks: len(blocks) > 0 && string(blocks) != "null"}
	if !c.hasBlocks {
		return c, result{}
	}
	checked, n, res := checkMessageBlocks(string(blocks))
	if res.err != "" {
		return c, res
	}
	c.blocks, c.nblocks = checked, n
	return c, result{}
}

// checkMessageBlocks parses and validates a message's blocks field.
func checkMessageBlocks(raw string) (json.RawMessage, int, result) {
	blocks, err := parseBlocks(raw)
	if err != nil {
		return nil, 0, result{err: "invalid_blocks_format", problems: []string{err.Error()}, blocks: json.RawMessage(raw)}
	}
	if problems := validateBlocks(blocks, maxMessageBlocks, "/blocks"); len(problems) > 0 {
		return nil, 0, result{err: "invalid_blocks", problems: problems, blocks: compact(raw)}
	}
	return compact(raw), len(blocks), result{}
}

func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{"type": "message", "user": m.User, "bot_id": s.cfg.botID, "text": m.Text, "ts": m.TS, "team": s.cfg.teamID}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	return out
}

// postLocked adds a message from the bot to channel, in the thread threadTS if
// that is not "", and returns it.
func (s *Server) postLocked(channel, threadTS string, c content) *Message {
	m := &Message{
		Channel: channel, TS: s.nextTSLocked(), ThreadTS: threadTS,
		Text: c.text, Blocks: c.blocks, User: s.cfg.botUserID, Posted: s.now(),
	}
	s.messages[channel] = append(s.messages[channel], m)
	return m
}

// showEphemeralLocked shows user a message in channel that only they see; via
// says how it came (see Ephemeral.Via).
func (s *Server) showEphemeralLocked(channel, user, via string, c content) Ephemeral {
	e := Ephemeral{Channel: channel, User: user, TS: s.nextTSLocked(), Text: c.text, Blocks: c.blocks, Time: s.now(), Via: via}
	s.ephemerals[user] = append(s.ephemerals[user], e)
	return e
}

func (s *Server) postMessage(req *apiRequest) result {
	channel, _, code := s.resolveChannelLocked(req.params["channel"])
	if code != "" {
		return fail(code)
	}
	c, res := messageContent(req.params)
	if res.err != "" {
		return res
	}
	if c.empty() {
		return fail("no_text")
	}
	m := s.postLocked(channel, req.params["thread_ts"], c)
	return result{blocks: c.blocks, fields: map[string]any{"channel": channel, "ts": m.TS, "message": s.messageJSON(m)}}
}

func (s *Server) postEphemeral(req *apiRequest) result {
	channel, _, code := s.resolveChannelLocked(req.params["channel"])
	if code != "" {
		return fail(code)
	}
	user := req.params["user"]
	if _, found := s.users[user]; !found {
		return fail("user_not_found")
	}
	c, res := messageContent(req.params)
	if res.err != "" {
		return res
	}
	if c.empty() {
		return fail("no_text")
	}
	e := s.showEphemeralLocked(channel, user, "chat.postEphemeral", c)
	return result{blocks: c.blocks, fields: map[string]any{"message_ts": e.TS}}
}

func (s *Server) updateMessage(req *apiRequest) result {
	channel, _, code := s.resolveChannelLocked(req.params["channel"])
	if code != "" {
		return fail(code)
	}
	m := s.findMessageLocked(channel, req.params["ts"])
	if m == nil {
		return fail("message_not_found")
	}
	c, res := messageContent(req.params)
	if res.err != "" {
		return res
	}
	// Slack keeps the text and blocks a chat.update leaves out; blocks=[] clears them.
	if c.hasText {
		m.Text = c.text
	}
	if c.hasBlocks {
		m.Blocks = c.blocks
		if string(c.blocks) == "[]" {
			m.Blocks = nil
		}
	}
	m.Updated, m.Updates = s.now(), m.Updates+1
	return result{blocks: c.blocks, fields: map[string]any{"channel": channel, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}}
}

func (s *Server) findMessageLocked(channel, ts string) *Message {
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// Messages returns the current state of every message in channel, oldest
// first. A user id stands for the bot's DM with that user.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(channel) > 0 && (channel[0] == 'U' || channel[0] == 'W') {
		channel = DMChannel(channel)
	}
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, m.clone())
	}
	return out
}

// Message returns one message by channel and ts, as it is now.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessageLocked(channel, ts)
	if m == nil {
		return Message{}, false
	}
	return m.clone(), true
}

// DMs returns the messages in the bot's DM channel with user.
func (s *Server) DMs(user string) []Message { return s.Messages(DMChannel(user)) }

// Ephemerals returns the ephemeral messages user was shown, oldest first.
func (s *Server) Ephemerals(user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.ephemerals[user])
	for i := range out {
		out[i].Blocks = slices.Clone(out[i].Blocks)
	}
	return out
}
