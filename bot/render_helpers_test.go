package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// renderT0 is when the sample requests are made.
var renderT0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// sampleRequest is a pending request for three devices, as Ask stores it.
func sampleRequest() *commands.Request {
	return &commands.Request{
		ID:        42,
		Requester: "U0ALICE",
		Workspace: "6a1c0000-0000-4000-8000-000000000001",
		Role:      "viewer",
		Devices: []commands.Device{
			{ID: "d1", Name: "Cold room", Serial: "SN-001"},
			{ID: "d2", Name: "Freezer 2"},
			{ID: "d3", Serial: "SN-003"},
		},
		Duration:        8 * time.Hour,
		Reason:          "checking the cold room sensors",
		State:           commands.StatePending,
		CreatedAt:       renderT0,
		UpdatedAt:       renderT0,
		ApprovalsNeeded: 1,
	}
}

// activeRequest is sampleRequest approved by U0BOB and provisioned, expiring at 17:00 UTC.
func activeRequest() *commands.Request {
	r := sampleRequest()
	at := renderT0.Add(time.Minute)
	r.State = commands.StateActive
	r.Approvals = []commands.Approval{{User: "U0BOB", At: at}}
	r.DecidedBy, r.DecidedAt = "U0BOB", at
	r.Grant = &commands.Grant{
		APIUserID:   "apiuser-1",
		APIUserName: commands.APIUserName("", r.ID, r.Requester),
		CreatedAt:   at,
		ExpiresAt:   renderT0.Add(8 * time.Hour),
	}
	return r
}

// marshalBlocks renders blocks as Slack receives them, without HTML escaping so that tests
// can search the text as written.
func marshalBlocks(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(slack.Blocks{BlockSet: blocks}); err != nil {
		t.Fatalf("marshal blocks: %v", err)
	}
	return buf.String()
}

// decodeBlocks returns the blocks as generic JSON, the form Slack checks.
func decodeBlocks(t *testing.T, blocks []slack.Block) []any {
	t.Helper()
	var out []any
	if err := json.Unmarshal([]byte(marshalBlocks(t, blocks)), &out); err != nil {
		t.Fatalf("unmarshal blocks: %v", err)
	}
	return out
}

// texts returns every text shown in the blocks: text objects, fields, context elements,
// buttons and confirm dialogs.
func texts(t *testing.T, blocks []slack.Block) []string {
	t.Helper()
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if typ, _ := v["type"].(string); typ == "mrkdwn" || typ == "plain_text" {
				if s, ok := v["text"].(string); ok {
					out = append(out, s)
				}
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(decodeBlocks(t, blocks))
	return out
}

// renderedButton is a button as a test looks at it.
type renderedButton struct {
	ActionID, Value, Text, Style string
	Confirm                      bool
}

// buttons lists the buttons in blocks, in order, wherever they sit.
func buttons(t *testing.T, blocks []slack.Block) []renderedButton {
	t.Helper()
	var out []renderedButton
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "button" {
				b := renderedButton{}
				b.ActionID, _ = v["action_id"].(string)
				b.Value, _ = v["value"].(string)
				b.Style, _ = v["style"].(string)
				if txt, ok := v["text"].(map[string]any); ok {
					b.Text, _ = txt["text"].(string)
				}
				_, b.Confirm = v["confirm"]
				out = append(out, b)
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(decodeBlocks(t, blocks))
	return out
}

func actionIDs(bs []renderedButton) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, b.ActionID)
	}
	return out
}

// checkLimits checks blocks against Slack's documented Block Kit limits on its own,
// whatever the fake Slack checks.
func checkLimits(t *testing.T, blocks []slack.Block) {
	t.Helper()
	list := decodeBlocks(t, blocks)
	if len(list) == 0 {
		t.Errorf("no blocks")
	}
	if len(list) > 50 {
		t.Errorf("%d blocks, want at most 50", len(list))
	}
	runes := func(where, s string, limit int) {
		t.Helper()
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8", where)
		}
		if n := utf8.RuneCountInString(s); n > limit || n == 0 {
			t.Errorf("%s: %d runes, want 1..%d: %.80q", where, n, limit, s)
		}
	}
	textOf := func(v any) string {
		m, _ := v.(map[string]any)
		s, _ := m["text"].(string)
		return s
	}
	ids := map[string]bool{}
	for i, v := range list {
		b := v.(map[string]any)
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		id, _ := b["block_id"].(string)
		if id != "" {
			if ids[id] {
				t.Errorf("%s: duplicate block_id %q", where, id)
			}
			ids[id] = true
			runes(where+" block_id", id, 255)
		}
		var elems []any
		switch b["type"] {
		case "header":
			if m := b["text"].(map[string]any); m["type"] != "plain_text" {
				t.Errorf("%s: header text must be plain_text", where)
			}
			runes(where+" text", textOf(b["text"]), 150)
		case "section":
			if b["text"] != nil {
				runes(where+" text", textOf(b["text"]), 3000)
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > 10 {
				t.Errorf("%s: %d fields, want at most 10", where, len(fields))
			}
			for j, f := range fields {
				runes(fmt.Sprintf("%s field %d", where, j), textOf(f), 2000)
			}
			if b["text"] == nil && len(fields) == 0 {
				t.Errorf("%s: neither text nor fields", where)
			}
			if acc, ok := b["accessory"]; ok {
				elems = append(elems, acc)
			}
		case "context":
			list, _ := b["elements"].([]any)
			if len(list) == 0 || len(list) > 10 {
				t.Errorf("%s: %d elements, want 1..10", where, len(list))
			}
			for j, e := range list {
				runes(fmt.Sprintf("%s element %d", where, j), textOf(e), 3000)
			}
		case "actions":
			list, _ := b["elements"].([]any)
			if len(list) == 0 || len(list) > 25 {
				t.Errorf("%s: %d elements, want 1..25", where, len(list))
			}
			elems = append(elems, list...)
		case "divider":
		default:
			t.Errorf("%s: unexpected block type", where)
		}
		actions := map[string]bool{}
		for j, e := range elems {
			m := e.(map[string]any)
			ew := fmt.Sprintf("%s element %d", where, j)
			if m["type"] != "button" {
				t.Errorf("%s: unexpected element type %v", ew, m["type"])
				continue
			}
			runes(ew+" text", textOf(m["text"]), 75)
			value, _ := m["value"].(string)
			runes(ew+" value", value, 2000)
			aid, _ := m["action_id"].(string)
			runes(ew+" action_id", aid, 255)
			if actions[aid] {
				t.Errorf("%s: duplicate action_id %q", ew, aid)
			}
			actions[aid] = true
			if c, ok := m["confirm"].(map[string]any); ok {
				runes(ew+" confirm title", textOf(c["title"]), 100)
				runes(ew+" confirm text", textOf(c["text"]), 300)
				runes(ew+" confirm button", textOf(c["confirm"]), 30)
				runes(ew+" confirm deny", textOf(c["deny"]), 30)
			}
		}
	}
	// Every mrkdwn object is verbatim, so Slack does not turn a typed "@channel" into a mention.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" && v["verbatim"] != true {
				t.Errorf("mrkdwn text without verbatim: %.80q", v["text"])
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(list)
}

// fakeSlack posts messages to the fake Slack, which validates Block Kit like Slack does.
type fakeSlack struct {
	srv *slacktest.Server
	api *slack.Client
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	srv := slacktest.New()
	srv.Start()
	t.Cleanup(srv.Close)
	return &fakeSlack{srv: srv, api: slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(srv.URL()))}
}

// post sends a message to the fake and fails the test with the fake's problems if it is
// refused.
func (f *fakeSlack) post(t *testing.T, fallback string, blocks []slack.Block) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := len(f.srv.CallsTo("chat.postMessage"))
	_, _, err := f.api.PostMessageContext(ctx, "C0APPROVALS", slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		var problems []string
		if calls := f.srv.CallsTo("chat.postMessage"); len(calls) > before {
			problems = calls[len(calls)-1].Problems
		}
		t.Errorf("fake Slack refused the message: %v\n%s", err, strings.Join(problems, "\n"))
	}
}

// checkMessage runs every check a rendered message must pass: it marshals, keeps Slack's
// limits on its own count, and the fake Slack accepts it.
func checkMessage(t *testing.T, f *fakeSlack, fallback string, blocks []slack.Block) {
	t.Helper()
	if fallback == "" {
		t.Errorf("empty fallback text")
	}
	checkLimits(t, blocks)
	if f != nil {
		f.post(t, fallback, blocks)
	}
}
