package slacktest

import (
	"encoding/json"
	"regexp"
	"strings"
)

// RenderBlocks renders Block Kit JSON as the plain text a person reads in
// Slack: one line per section text, field, context and header, buttons as
// [Label], selects as [Placeholder ▾], dividers as ---. Mentions keep their ids
// (@U123); Server.Render shows registered users' names instead.
func RenderBlocks(blocks json.RawMessage) string { return renderBlocks(blocks, nil) }

// Render is RenderBlocks with user mentions shown as @name for users added
// with AddUser.
func (s *Server) Render(blocks json.RawMessage) string { return renderBlocks(blocks, s.userName) }

// RenderMessage renders what a person sees of a message: its blocks, or its
// text when it has none (Slack shows text only as the notification then).
func (s *Server) RenderMessage(m Message) string {
	if hasBlocks(m.Blocks) {
		return s.Render(m.Blocks)
	}
	return mrkdwnToPlain(m.Text, s.userName)
}

// RenderView renders a modal (title, blocks, [Submit] [Close]) or Home tab.
func (s *Server) RenderView(v View) string {
	var b strings.Builder
	if v.Title != "" {
		b.WriteString("== " + v.Title + " ==\n")
	}
	b.WriteString(s.Render(v.Blocks))
	var buttons []string
	if v.Submit != "" {
		buttons = append(buttons, "["+v.Submit+"]")
	}
	if v.Type == "modal" {
		closeText := v.Close
		if closeText == "" {
			closeText = "Cancel"
		}
		buttons = append(buttons, "["+closeText+"]")
	}
	if len(buttons) > 0 {
		b.WriteString("\n" + strings.Join(buttons, " "))
	}
	return b.String()
}

// hasBlocks reports whether raw holds at least one block.
func hasBlocks(raw json.RawMessage) bool {
	var blocks []json.RawMessage
	return json.Unmarshal(raw, &blocks) == nil && len(blocks) > 0
}

func (s *Server) userName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, found := s.users[id]; found && u.Name != "" {
		return u.Name
	}
	return id
}

func renderBlocks(raw json.RawMessage, names func(string) string) string {
	var blocks []map[string]any
	if json.Unmarshal(raw, &blocks) != nil {
		return ""
	}
	r := renderer{names: names}
	var lines []string
	for _, b := range blocks {
		lines = append(lines, r.block(b)...)
	}
	return strings.Join(lines, "\n")
}

type renderer struct {
	names func(string) string
}

func (r renderer) text(v any) string {
	m, _ := v.(map[string]any)
	t, _ := m["text"].(string)
	if m["type"] == "mrkdwn" {
		return mrkdwnToPlain(t, r.names)
	}
	return t
}

func (r renderer) block(b map[string]any) []string {
	var lines []string
	add := func(s string) {
		if s != "" {
			lines = append(lines, s)
		}
	}
	switch b["type"] {
	case "header":
		add(r.text(b["text"]))
	case "section":
		line := r.text(b["text"])
		if acc, isObj := b["accessory"].(map[string]any); isObj {
			if e := r.element(acc); e != "" {
				line = strings.TrimSpace(line + "  " + e)
			}
		}
		add(line)
		fields, _ := b["fields"].([]any)
		for _, f := range fields {
			add(r.text(f))
		}
	case "divider":
		add("---")
	case "context":
		var parts []string
		elems, _ := b["elements"].([]any)
		for _, e := range elems {
			m, _ := e.(map[string]any)
			if m["type"] == "image" {
				continue
			}
			parts = append(parts, r.text(m))
		}
		add(strings.Join(parts, "  "))
	case "actions":
		var parts []string
		elems, _ := b["elements"].([]any)
		for _, e := range elems {
			m, _ := e.(map[string]any)
			parts = append(parts, r.element(m))
		}
		add(strings.Join(parts, " "))
	case "input":
		el, _ := b["element"].(map[string]any)
		add(strings.TrimSpace(r.text(b["label"]) + ": " + r.element(el)))
		add(r.text(b["hint"]))
	case "image":
		alt, _ := b["alt_text"].(string)
		add("[image: " + alt + "]")
	case "markdown":
		t, _ := b["text"].(string)
		add(mrkdwnToPlain(t, r.names))
	case "rich_text":
		add(r.richText(b["elements"]))
	}
	return lines
}

// element renders an interactive element as a person sees it.
func (r renderer) element(e map[string]any) string {
	switch e["type"] {
	case "button":
		return "[" + r.text(e["text"]) + "]"
	case "overflow":
		return "[…]"
	case "image":
		return ""
	}
	if init, isObj := e["initial_option"].(map[string]any); isObj {
		return "[" + r.text(init["text"]) + " ▾]"
	}
	if ph := r.text(e["placeholder"]); ph != "" {
		return "[" + ph + " ▾]"
	}
	if v, _ := e["initial_value"].(string); v != "" {
		return "[" + v + "]"
	}
	return "[ ]"
}

// richText flattens rich_text elements to their text.
func (r renderer) richText(v any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			switch x["type"] {
			case "text":
				t, _ := x["text"].(string)
				b.WriteString(t)
			case "user":
				id, _ := x["user_id"].(string)
				b.WriteString("@" + r.name(id))
			case "link":
				t, _ := x["text"].(string)
				if t == "" {
					t, _ = x["url"].(string)
				}
				b.WriteString(t)
			case "emoji":
				n, _ := x["name"].(string)
				b.WriteString(":" + n + ":")
			default:
				walk(x["elements"])
			}
		}
	}
	walk(v)
	return b.String()
}

func (r renderer) name(id string) string {
	if r.names == nil {
		return id
	}
	return r.names(id)
}

var (
	mrkdwnLink = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]*))?>`)
	unescaper  = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// mrkdwnToPlain resolves Slack's <…> references (mentions, channels, user
// groups, links, dates) to what a person reads, and undoes Slack's escaping.
func mrkdwnToPlain(text string, names func(string) string) string {
	r := renderer{names: names}
	out := mrkdwnLink.ReplaceAllStringFunc(text, func(m string) string {
		parts := mrkdwnLink.FindStringSubmatch(m)
		target, label := parts[1], parts[2]
		switch {
		case strings.HasPrefix(target, "@"):
			if label != "" {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return "@" + r.name(target[1:])
		case strings.HasPrefix(target, "#"):
			if label != "" {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!subteam^"):
			if label != "" {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!subteam^")
		case target == "!here" || target == "!channel" || target == "!everyone":
			return "@" + target[1:]
		case strings.HasPrefix(target, "!"):
			return label // dates and others: the fallback text
		case label != "":
			return label
		}
		return target
	})
	return unescaper.Replace(out)
}
