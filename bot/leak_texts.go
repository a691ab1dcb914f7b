package bot

import (
	"encoding/json"
	"strings"
)

// scannedMessage is what the leak scan reads of a message event: where the message is, and
// all of its text. Nothing of it is kept or logged.
type scannedMessage struct {
	channel, ts, thread string
	// text holds every text of the message, one to a line, so that no two of them join
	// into one token-like run.
	text string
}

// readMessageEvent reads a message event (the inner event's JSON) for the leak scan. It
// reads the JSON itself rather than slackevents.MessageEvent, which decodes a message all or
// nothing: one part slack-go cannot read (a field of another type, an element newer than
// it) would hide a token in every other part. A part of an unexpected shape is skipped and
// the rest read. ok is false for an event that adds no text: a deletion, a join, a leave.
func readMessageEvent(raw []byte) (m scannedMessage, ok bool) {
	var event map[string]any
	if json.Unmarshal(raw, &event) != nil || event == nil {
		return scannedMessage{}, false
	}
	msg := event
	switch asString(event["subtype"]) {
	case "message_changed":
		// The message as it is now; as it was is what an earlier event brought.
		if msg, _ = event["message"].(map[string]any); msg == nil {
			return scannedMessage{}, false
		}
	case "message_deleted", "channel_join", "channel_leave":
		return scannedMessage{}, false
	}
	var text strings.Builder
	messageTexts(msg, func(s string) {
		if s != "" {
			text.WriteString(s)
			text.WriteByte('\n')
		}
	})
	return scannedMessage{
		channel: asString(event["channel"]), ts: asString(msg["ts"]), thread: asString(msg["thread_ts"]),
		text: text.String(),
	}, true
}

// messageTexts calls fn with every text of a message: its text, its blocks, its
// attachments (a forwarded message, a link's preview, a bot's legacy attachments) and its
// files (a snippet, a post, an upload and its comment).
func messageTexts(msg map[string]any, fn func(string)) {
	fn(asString(msg["text"]))
	blockTexts(msg["blocks"], fn)
	for _, a := range asList(msg["attachments"]) {
		attachmentTexts(a, fn)
	}
	for _, f := range asList(msg["files"]) {
		fileTexts(f, fn)
	}
}

// blockTexts calls fn with every string in v, at any depth. Block Kit puts text in many
// shapes (a section's text, fields and accessory; rich text sections, lists, quotes and
// preformatted blocks; text, link and emoji elements; tables; a button's value), and Slack
// adds more; all of it was written by whoever posted the message, so every string is read,
// whatever its key.
func blockTexts(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, e := range v {
			blockTexts(e, fn)
		}
	case map[string]any:
		for _, e := range v {
			blockTexts(e, fn)
		}
	}
}

// attachmentTextKeys are the texts of a message attachment. The rest of an attachment is
// Slack's (ids, times, avatar and thumbnail URLs, some of which are token-like runs that
// would make every forwarded message cost a reload of the fingerprints).
var attachmentTextKeys = []string{
	"text", "fallback", "pretext", "title", "title_link", "footer",
	"author_name", "author_subname", "from_url", "original_url",
}

// attachmentTexts calls fn with every text of attachment a.
func attachmentTexts(a any, fn func(string)) {
	att, _ := a.(map[string]any)
	for _, k := range attachmentTextKeys {
		fn(asString(att[k]))
	}
	for _, f := range asList(att["fields"]) {
		field, _ := f.(map[string]any)
		fn(asString(field["title"]))
		fn(asString(field["value"]))
	}
	for _, b := range asList(att["actions"]) {
		action, _ := b.(map[string]any)
		fn(asString(action["text"]))
		fn(asString(action["value"]))
		fn(asString(action["url"]))
	}
	blockTexts(att["blocks"], fn)
	// A forwarded message that had blocks brings them here, with its channel and ts.
	blockTexts(att["message_blocks"], fn)
	for _, f := range asList(att["files"]) {
		fileTexts(f, fn)
	}
}

// fileTextKeys are the texts of a file: its names, a snippet's or a post's preview, an
// email's subject and text. The rest is Slack's (ids, sizes, thumbnail URLs).
var fileTextKeys = []string{"title", "name", "preview", "preview_plain_text", "plain_text", "subject"}

// fileTexts calls fn with every text of file f.
func fileTexts(f any, fn func(string)) {
	file, _ := f.(map[string]any)
	for _, k := range fileTextKeys {
		fn(asString(file[k]))
	}
	// The comment posted with an upload: an object in files.info's shape, a string in some
	// events.
	switch c := file["initial_comment"].(type) {
	case string:
		fn(c)
	case map[string]any:
		fn(asString(c["comment"]))
	}
	blockTexts(file["title_blocks"], fn)
}

// asString is v if it is a JSON string, else "".
func asString(v any) string {
	s, _ := v.(string)
	return s
}

// asList is v if it is a JSON array, else nil.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
