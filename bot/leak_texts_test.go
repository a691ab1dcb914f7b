package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/cakegate/cakegate/commands"
)

const shapeToken = "0123456789abcdef0123456789abcdef01234567"

// TestReadMessageEvent: wherever a message event holds the token, its text does, and the
// message is placed by its channel and ts (for an edit, the edited message's).
func TestReadMessageEvent(t *testing.T) {
	for _, shape := range leakShapes {
		t.Run(shape.Name, func(t *testing.T) {
			raw := fmt.Appendf(nil, shape.JSON, shapeToken)
			if !json.Valid(raw) {
				t.Fatalf("the shape is not JSON: %s", raw)
			}
			m, ok := readMessageEvent(raw)
			if !ok || !strings.Contains(m.text, shapeToken) {
				t.Fatalf("got %v, %q; want the token in the text", ok, m.text)
			}
			if m.channel != leakShapeChannel || m.ts != shape.TS {
				t.Fatalf("placed in %s at %s, want %s at %s", m.channel, m.ts, leakShapeChannel, shape.TS)
			}
		})
	}
}

// TestReadMessageEventReadsOnlyTexts: what Slack adds to a message (a client_msg_id, avatar
// and thumbnail URLs, file ids) is not read as text: some of it is token-like, and would
// make every forwarded message or upload cost a reload of the fingerprints.
func TestReadMessageEventReadsOnlyTexts(t *testing.T) {
	for _, shape := range leakShapes {
		t.Run(shape.Name, func(t *testing.T) {
			m, _ := readMessageEvent(fmt.Appendf(nil, shape.JSON, "no token here"))
			commands.TokenCandidates(m.text, func(c string) {
				t.Errorf("token-like text %q read from a message without a token", c)
			})
		})
	}
}

// TestReadMessageEventWithoutText: events that add no text to a channel are not scanned.
func TestReadMessageEventWithoutText(t *testing.T) {
	for name, raw := range map[string]string{
		"Deleted":            `{"type":"message","subtype":"message_deleted","channel":"C1","deleted_ts":"1.2","previous_message":{"text":"` + shapeToken + `"}}`,
		"Join":               `{"type":"message","subtype":"channel_join","channel":"C1","text":"<@U1> has joined"}`,
		"Leave":              `{"type":"message","subtype":"channel_leave","channel":"C1","text":"<@U1> has left"}`,
		"EditWithoutMessage": `{"type":"message","subtype":"message_changed","channel":"C1","previous_message":{"text":"` + shapeToken + `"}}`,
		"NotAnObject":        `["message"]`,
		"Null":               `null`,
		"NotJSON":            `{"type":"message"`,
	} {
		if m, ok := readMessageEvent([]byte(raw)); ok {
			t.Errorf("%s: read %+v", name, m)
		}
	}
}

// FuzzReadMessageEvent: whatever the event's JSON, reading it does not panic, and every text
// slack-go reads from a message it can decode is among the texts scanned.
func FuzzReadMessageEvent(f *testing.F) {
	for _, shape := range leakShapes {
		f.Add(fmt.Appendf(nil, shape.JSON, shapeToken))
	}
	f.Add([]byte(`{"type":"message","text":"` + shapeToken + `","channel":"C1","ts":"1.2"}`))
	f.Add([]byte(`{"type":"message","subtype":"message_changed","message":"x"}`))
	f.Add([]byte(`{"blocks":[[[[[[[[[[{"text":{"text":{"text":"` + shapeToken + `"}}}]]]]]]]]]]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, ok := readMessageEvent(raw)
		var e slackevents.MessageEvent
		if !ok || !lowercaseKeys(raw) || json.Unmarshal(raw, &e) != nil || e.Message == nil {
			// Only where both read the same keys: encoding/json matches a struct's keys
			// regardless of case, and Slack's keys are all lower case.
			return
		}
		for _, want := range slackGoTexts(e.Message) {
			if want != "" && !strings.Contains(m.text, want) {
				t.Fatalf("slack-go reads %q, which is not scanned, from %s", want, raw)
			}
		}
	})
}

// slackGoTexts are the texts slack-go decodes of a message.
func slackGoTexts(msg *slack.Msg) []string {
	texts := []string{msg.Text}
	texts = append(texts, slackGoBlockTexts(msg.Blocks)...)
	files := msg.Files
	for _, a := range msg.Attachments {
		texts = append(texts, a.Text, a.Fallback, a.Pretext, a.Title, a.TitleLink, a.Footer)
		for _, f := range a.Fields {
			texts = append(texts, f.Title, f.Value)
		}
		texts = append(texts, slackGoBlockTexts(a.Blocks)...)
		files = append(files, a.Files...)
	}
	for _, f := range files {
		texts = append(texts, f.Title, f.Name, f.Preview, f.PreviewPlainText, f.PlainText, f.InitialComment.Comment)
	}
	return texts
}

// slackGoBlockTexts are the texts slack-go decodes of sections and rich text.
func slackGoBlockTexts(blocks slack.Blocks) []string {
	var texts []string
	for _, b := range blocks.BlockSet {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				texts = append(texts, b.Text.Text)
			}
			for _, f := range b.Fields {
				if f != nil {
					texts = append(texts, f.Text)
				}
			}
		case *slack.RichTextBlock:
			for _, e := range b.Elements {
				s, ok := e.(*slack.RichTextSection)
				if !ok {
					continue
				}
				for _, se := range s.Elements {
					switch se := se.(type) {
					case *slack.RichTextSectionTextElement:
						texts = append(texts, se.Text)
					case *slack.RichTextSectionLinkElement:
						texts = append(texts, se.URL, se.Text)
					}
				}
			}
		}
	}
	return texts
}

// lowercaseKeys reports whether raw is JSON whose every key is lower-case ASCII, digits and
// underscores, as Slack's are.
func lowercaseKeys(raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var lower func(v any) bool
	lower = func(v any) bool {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				if !lower(e) {
					return false
				}
			}
		case map[string]any:
			for k, e := range v {
				for i := 0; i < len(k); i++ {
					if c := k[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
						return false
					}
				}
				if !lower(e) {
					return false
				}
			}
		}
		return true
	}
	return lower(v)
}
