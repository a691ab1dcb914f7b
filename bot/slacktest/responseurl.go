package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// ResponseURLPost is one JSON body posted to a response URL of the fake.
type ResponseURLPost struct {
	Time            time.Time
	Body            json.RawMessage
	Text            string
	Blocks          json.RawMessage
	ResponseType    string // "ephemeral" (the default) or "in_channel"
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	Error           string // the Slack error answered, "" when accepted
}

// responseURL is where a slash command's or interaction's answers go. When it
// is bound to a channel, user and message, answers act like Slack's: shown to
// the user, posted to the channel, or replacing or deleting the message.
type responseURL struct {
	channel, user, messageTS string
	issued                   time.Time
	posts                    []ResponseURLPost
}

// NewResponseURL returns a response URL that only records what is posted to it.
func (s *Server) NewResponseURL() string { return s.ResponseURLFor("", "", "") }

// ResponseURLFor returns a response URL bound to where an interaction happened:
// answers are shown to user in channel (ephemeral), posted to channel
// (response_type in_channel), or replace or delete the message at messageTS.
// SendSlashCommand and SendInteraction make these themselves when none is given.
func (s *Server) ResponseURLFor(channel, user, messageTS string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.responseURLForLocked(channel, user, messageTS)
}

func (s *Server) responseURLForLocked(channel, user, messageTS string) string {
	id := fmt.Sprintf("T%d/B%d/%x", s.nextIDLocked(), s.seq, uint32(s.seq)*2654435761)
	s.responses[id] = &responseURL{channel: channel, user: user, messageTS: messageTS, issued: s.now()}
	return s.hs.URL + "/response/" + id
}

// ResponseURLPosts returns what was posted to a response URL, oldest first.
func (s *Server) ResponseURLPosts(url string) []ResponseURLPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.responses[responseURLID(s.hs.URL, url)]
	if r == nil {
		return nil
	}
	return slices.Clone(r.posts)
}

// AllResponseURLPosts returns what was posted to every response URL, for tests that scan
// everything the bot said for a secret.
func (s *Server) AllResponseURLPosts() []ResponseURLPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ResponseURLPost
	for _, r := range s.responses {
		out = append(out, r.posts...)
	}
	return out
}

func responseURLID(base, url string) string {
	prefix := base + "/response/"
	if len(url) > len(prefix) && url[:len(prefix)] == prefix {
		return url[len(prefix):]
	}
	return ""
}

// serveResponseURL accepts up to five answers within 30 minutes, like Slack.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropResponseLocked(w) {
		return
	}
	ru := s.responses[responseURLID(s.hs.URL, s.hs.URL+r.URL.Path)]
	if ru == nil || s.now().Sub(ru.issued) > s.cfg.responseURLTTL {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("expired_url"))
		return
	}
	post := ResponseURLPost{Time: s.now(), Body: body}
	code := s.applyResponseLocked(ru, &post)
	post.Error = code
	ru.posts = append(ru.posts, post)
	s.notifyLocked()
	if code != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// applyResponseLocked decodes an answer and makes it visible where Slack would.
func (s *Server) applyResponseLocked(ru *responseURL, post *ResponseURLPost) string {
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if err := json.Unmarshal(post.Body, &msg); err != nil {
		return "invalid_payload"
	}
	post.Text, post.ResponseType, post.ThreadTS = msg.Text, msg.ResponseType, msg.ThreadTS
	post.ReplaceOriginal, post.DeleteOriginal = msg.ReplaceOriginal, msg.DeleteOriginal
	if len(ru.posts) >= s.cfg.responseURLUses {
		return "used_url"
	}
	c, res := payloadContent(msg.Text, msg.Blocks)
	if c.hasBlocks {
		post.Blocks = compact(string(msg.Blocks))
	}
	if res.err != "" {
		return res.err
	}
	if ru.channel == "" {
		return "" // an unbound URL only records
	}
	switch {
	case msg.DeleteOriginal:
		if !s.deleteMessageLocked(ru.channel, ru.messageTS) {
			return "message_not_found"
		}
	case msg.ReplaceOriginal:
		m := s.findMessageLocked(ru.channel, ru.messageTS)
		if m == nil {
			return "message_not_found"
		}
		m.Text, m.Blocks = c.text, c.blocks
		m.Updated, m.Updates = s.now(), m.Updates+1
	case c.empty():
		return "no_text"
	case msg.ResponseType == "in_channel":
		s.postLocked(ru.channel, msg.ThreadTS, c)
	default:
		s.showEphemeralLocked(ru.channel, ru.user, "response_url", c)
	}
	return ""
}

func (s *Server) deleteMessageLocked(channel, ts string) bool {
	msgs := s.messages[channel]
	for i, m := range msgs {
		if m.TS == ts {
			s.messages[channel] = slices.Delete(msgs, i, i+1)
			return true
		}
	}
	return false
}
