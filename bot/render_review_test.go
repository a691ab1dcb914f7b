package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

func testReview(items int) *commands.Review {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rv := &commands.Review{ID: "rv-1", StartedAt: at, StartedBy: "U0ANN", Channel: "C0APPROVALS", GrantsOlderThan: 7 * 24 * time.Hour}
	for i := range items {
		rv.Items = append(rv.Items, commands.ReviewItem{APIUserID: fmt.Sprintf("a%d", i), Name: fmt.Sprintf("user %d", i), Class: commands.ClassUnmanaged, Origin: "made by hand", Created: at})
		rv.Counts.Unmanaged++
	}
	return rv
}

// blocksJSON is blocks as Slack receives them, with < and > as they are.
func blocksJSON(t *testing.T, blocks []slack.Block) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(blocks); err != nil {
		t.Fatal(err)
	}
	// Nested marshallers escape < and > whatever the encoder says.
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(b.String())
}

// TestReviewMessageEscapesNames: an API user's name is typed by anyone with portal access,
// so it can neither mention the channel nor format the message.
func TestReviewMessageEscapesNames(t *testing.T) {
	rv := testReview(1)
	rv.Items[0].Name = "<!channel> *urgent* <https://evil.example|click>"
	parts := ReviewMessages(rv)
	raw := blocksJSON(t, parts[0].blocks)
	// Only mrkdwn text is parsed by Slack; the confirmation dialog's plain text is not.
	if !strings.Contains(raw, "*&lt;!channel&gt; *urgent* &lt;https://evil.example|click&gt;*") {
		t.Errorf("the review message does not show the name escaped: %s", raw)
	}
	if strings.Count(raw, "<!channel>") != 1 || !strings.Contains(raw, `"plain_text","text":"Delete <!channel>`) {
		t.Errorf("the review message carries the name unescaped in mrkdwn: %s", raw)
	}
}

// TestReviewMessageThreadsLongReviews: a review with more items than one message holds
// puts them in its thread, every item once, each message within Slack's block limit, and
// every button's action id unique in its message.
func TestReviewMessageThreadsLongReviews(t *testing.T) {
	for _, n := range []int{0, 1, reviewItemsPerMessage, reviewItemsPerMessage + 1, 47} {
		parts := ReviewMessages(testReview(n))
		want := 1
		if n > reviewItemsPerMessage {
			want = 1 + (n+reviewItemsPerMessage-1)/reviewItemsPerMessage
		}
		if len(parts) != want {
			t.Fatalf("%d items: %d messages, want %d", n, len(parts), want)
		}
		seen := map[string]bool{}
		for _, p := range parts {
			if len(p.blocks) > maxMessageBlocks {
				t.Fatalf("%d items: a message of %d blocks", n, len(p.blocks))
			}
			raw := blocksJSON(t, p.blocks)
			ids := map[string]bool{}
			for i := range n {
				for _, a := range []string{actionReviewKeep, actionReviewDelete} {
					id := `"` + a + strconv.Itoa(i) + `"`
					if c := strings.Count(raw, id); c > 0 {
						if c > 1 || ids[id] {
							t.Fatalf("%d items: action id %s twice in one message", n, id)
						}
						ids[id], seen[a+strconv.Itoa(i)] = true, true
					}
				}
			}
		}
		if len(seen) != 2*n {
			t.Fatalf("%d items: %d buttons, want %d", n, len(seen), 2*n)
		}
	}
}

// TestReviewMessageShowsDecisions: a decided item shows who decided, and has no buttons.
func TestReviewMessageShowsDecisions(t *testing.T) {
	rv := testReview(2)
	rv.Items[0].Decision, rv.Items[0].DecidedBy, rv.Items[0].DecidedAt = commands.ReviewKept, "U0BOB", rv.StartedAt
	raw := blocksJSON(t, ReviewMessages(rv)[0].blocks)
	if strings.Contains(raw, actionReviewKeep+"0") || !strings.Contains(raw, actionReviewKeep+"1") {
		t.Fatalf("buttons of a decided item shown, or of an open one missing: %s", raw)
	}
	if !strings.Contains(raw, "Kept by <@U0BOB>") || !strings.Contains(raw, "Still to decide: 1 of 2") {
		t.Fatalf("the decision is not shown: %s", raw)
	}
}

// FuzzParseReviewValue: a button's value comes back from Slack, so any text may arrive.
func FuzzParseReviewValue(f *testing.F) {
	f.Add(actionReviewKeep+"0", "rv-1;0;a0")
	f.Add(actionReviewDelete+"3", "rv-1;-1;x")
	f.Add(actionReviewRevoke+"1", ";;")
	f.Add("cakegate_review_other", "rv;1;2;3")
	f.Fuzz(func(t *testing.T, actionID, value string) {
		id, index, apiUser, choice, err := parseReviewValue(actionID, value)
		if err != nil {
			if commands.ErrorCode(err) != commands.CodeInvalid {
				t.Fatalf("parseReviewValue(%q, %q): %v, want an invalid-input error", actionID, value, err)
			}
			return
		}
		if index < 0 || choice == "" || id+";"+strconv.Itoa(index)+";"+apiUser == "" {
			t.Fatalf("parseReviewValue(%q, %q) = %q %d %q %q", actionID, value, id, index, apiUser, choice)
		}
	})
}

// TestReviewAdoptedItemIsDecidedAsAGrant: an adopted API user older than grants_older_than
// comes back in the next review as what it is, with an owner and an end, and Keep / Revoke;
// never as unmanaged with Adopt and Delete, which both refuse an adopted one.
func TestReviewAdoptedItemIsDecidedAsAGrant(t *testing.T) {
	rv := testReview(0)
	rv.Items = append(rv.Items, commands.ReviewItem{APIUserID: "a0", Name: "legacy-export", Class: commands.ClassAdopted,
		Origin: "made by hand", Request: 7, Owner: "U0ALICE", Created: rv.StartedAt, Ends: rv.StartedAt.Add(30 * 24 * time.Hour)})
	raw := blocksJSON(t, ReviewMessages(rv)[0].blocks)
	for _, want := range []string{"*R7*", "adopted, made by hand", "legacy-export", actionReviewKeep + "0", actionReviewRevoke + "0"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the adopted item lacks %q: %s", want, raw)
		}
	}
	for _, not := range []string{"· unmanaged", actionReviewAdopt + "0", actionReviewDelete + "0"} {
		if strings.Contains(raw, not) {
			t.Errorf("the adopted item shows %q: %s", not, raw)
		}
	}
}
