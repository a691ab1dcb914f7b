package slacktest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/slacktest"
)

// FuzzBlocks feeds arbitrary blocks fields to chat.postMessage and the
// renderer: whatever a bot sends, the fake must answer with Slack's JSON, never
// fail itself.
func FuzzBlocks(f *testing.F) {
	for _, seed := range []string{
		`[]`, `[{}]`, `{}`, `null`, `[1,"x",null]`,
		`[{"type":"section","text":{"type":"mrkdwn","text":"<@U0ALICE> &amp; <https://x|y>"},"fields":[{"type":"plain_text","text":"f"}],"accessory":{"type":"button","text":{"type":"plain_text","text":"Go"}}}]`,
		`[{"type":"actions","elements":[{"type":"static_select","options":[{"text":{"type":"plain_text","text":"a"},"value":"1"}],"option_groups":[{"label":3}]}]}]`,
		`[{"type":"context","elements":[{"type":"image"},{"type":"mrkdwn"}]},{"type":"input","element":{"type":"plain_text_input"}}]`,
		`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"user","user_id":"U1"},{"type":"link","url":"u"}]}]}]`,
	} {
		f.Add(seed)
	}
	srv := slacktest.New()
	srv.Start()
	f.Cleanup(srv.Close)
	f.Fuzz(func(t *testing.T, blocks string) {
		_ = slacktest.RenderBlocks(json.RawMessage(blocks))
		form := url.Values{"token": {slacktest.DefaultBotToken}, "channel": {"C0FUZZ"}, "text": {"t"}, "blocks": {blocks}}
		resp, err := http.Post(srv.URL()+"chat.postMessage", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var answer struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&answer) != nil {
			t.Fatalf("status %d for blocks %q", resp.StatusCode, blocks)
		}
		if !answer.OK && !strings.HasPrefix(answer.Error, "invalid_blocks") {
			t.Fatalf("blocks %q: error %q", blocks, answer.Error)
		}
	})
}
