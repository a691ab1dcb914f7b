package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

func TestRenderTruncateRunes(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"hello", 5, "hello"},
		{"hello", 4, "hel…"},
		{"héllo🎂", 6, "héllo🎂"},
		{"héllo🎂", 3, "hé…"},
		{"🎂🎂🎂", 1, "…"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := truncateRunes(tt.in, tt.limit); got != tt.want {
			t.Errorf("truncateRunes(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

func TestRenderTruncateMrkdwn(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"by <@U0123456> now", 8, "by…"},
		{"at <!date^1^{time}|x> ok", 12, "at…"},
		{"a &amp; b", 4, "a…"},
		{"a &amp; b", 8, "a &amp;…"},
		{"🎂🎂🎂🎂", 3, "🎂🎂…"},
	}
	for _, tt := range tests {
		got := truncateMrkdwn(tt.in, tt.limit)
		if got != tt.want {
			t.Errorf("truncateMrkdwn(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
		if utf8.RuneCountInString(got) > tt.limit {
			t.Errorf("truncateMrkdwn(%q, %d) is %d runes long", tt.in, tt.limit, utf8.RuneCountInString(got))
		}
	}
}

func TestRenderEscapeMrkdwn(t *testing.T) {
	in := "<!channel> <@U1> a & b <https://x|y> &amp;"
	want := "&lt;!channel&gt; &lt;@U1&gt; a &amp; b &lt;https://x|y&gt; &amp;amp;"
	if got := escapeMrkdwn(in); got != want {
		t.Fatalf("escapeMrkdwn(%q) = %q, want %q", in, got, want)
	}
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"a<b", 6, "a&lt;b"},
		{"a<b", 5, "a…"},
		{"a&b", 5, "a…"},
		{"é<é", 100, "é&lt;é"},
		{"ééé", 2, "é…"},
	}
	for _, tt := range tests {
		got := escapeLimit(tt.in, tt.limit)
		if got != tt.want {
			t.Errorf("escapeLimit(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
		if utf8.RuneCountInString(got) > tt.limit {
			t.Errorf("escapeLimit(%q, %d) is %d runes long", tt.in, tt.limit, utf8.RuneCountInString(got))
		}
	}
}

func TestRenderSlackDate(t *testing.T) {
	at := time.Date(2026, 11, 27, 18, 0, 0, 0, time.FixedZone("CET", 3600))
	want := fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|2026-11-27 17:00 UTC>", at.Unix())
	if got := slackDate(at); got != want {
		t.Fatalf("slackDate = %q, want %q", got, want)
	}
	if got := slackDate(time.Time{}); strings.Contains(got, "<") {
		t.Fatalf("zero time renders as a date token: %q", got)
	}
}

func TestRenderDeviceList(t *testing.T) {
	var devices []commands.Device
	for i := range 500 {
		devices = append(devices, commands.Device{ID: fmt.Sprint(i), Name: fmt.Sprintf("Freezer <%03d> in the back room", i), Serial: fmt.Sprintf("SN-%04d", i)})
	}
	got := deviceList(devices, fieldBudget("Devices"))
	if n := utf8.RuneCountInString(got); n > fieldBudget("Devices") {
		t.Fatalf("device list is %d runes long, want at most %d", n, fieldBudget("Devices"))
	}
	m := regexp.MustCompile(` and (\d+) more$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("device list does not end with and N more: …%s", got[len(got)-60:])
	}
	more, _ := strconv.Atoi(m[1])
	if shown := strings.Count(got, "(SN-"); shown+more != 500 {
		t.Fatalf("%d shown + %d more, want 500", shown, more)
	}
	if strings.Contains(got, "<") {
		t.Fatalf("device names not escaped: %.100s", got)
	}
	if got := deviceList(devices[:2], 2000); got != "Freezer &lt;000&gt; in the back room (SN-0000), Freezer &lt;001&gt; in the back room (SN-0001)" {
		t.Fatalf("short list = %q", got)
	}
	one := []commands.Device{{ID: "x", Name: strings.Repeat("🎂", 3000)}}
	if got := deviceList(one, 100); utf8.RuneCountInString(got) > 100 || !strings.HasSuffix(got, "and 1 more") {
		t.Fatalf("one huge name = %q", got)
	}
}

// TestRenderLongInputsStayWithinLimits feeds every renderer oversized input and lets the
// limit checks and the fake Slack judge.
func TestRenderLongInputsStayWithinLimits(t *testing.T) {
	fake := newFakeSlack(t)
	long := strings.Repeat("ü<&>", 2000)
	r := activeRequest()
	r.Role = strings.Repeat("r", 300)
	r.Reason = long
	r.DecisionNote = long
	r.Requester = "U0ALICE"
	for i := range 300 {
		r.Devices = append(r.Devices, commands.Device{ID: fmt.Sprint(i), Name: strings.Repeat("d", 40)})
	}
	r.Extension = &commands.Extension{By: "U0ALICE", Duration: time.Hour}
	r.ApprovalsNeeded = 2

	check := func(fallback string, blocks []slack.Block) {
		t.Helper()
		checkMessage(t, fake, fallback, blocks)
	}
	var header *slack.HeaderBlock
	fallback, blocks := ApprovalMessage(r, renderT0)
	checkMessage(t, fake, fallback, blocks)
	header, _ = blocks[0].(*slack.HeaderBlock)
	if header == nil || utf8.RuneCountInString(header.Text.Text) != 150 || !strings.HasPrefix(header.Text.Text, "R42 · rrr") {
		t.Fatalf("header not cut to 150 runes: %+v", blocks[0])
	}
	for _, state := range []commands.State{commands.StatePending, commands.StateRevoked, commands.StateDenied, commands.StateFailed} {
		c := r.Clone()
		c.State, c.FailureReason = state, long
		check(ApprovalMessage(c, renderT0))
		check(StatusMessage(c, renderT0))
		check(PendingMessage([]*commands.Request{c}, renderT0))
	}
	check("token", tokenBlocks(r, "token", ""))
	check(RevealMessage(r))
	check(ReminderMessage(r, time.Hour, renderT0))
	check(ListMessage([]*commands.Request{r}, renderT0))
	check(HelpMessage(long))
	check(AuditMessage([]commands.AuditEvent{{Seq: 1, Actor: "U0X", Action: long, Detail: long}}, time.UTC))
}

// TestConfirmationOfAScheduledGrant: a request granted at once that starts later has no
// Reveal token button yet; its confirmation says when it comes, never to click it now.
func TestConfirmationOfAScheduledGrant(t *testing.T) {
	at := time.Date(2026, 12, 14, 8, 0, 0, 0, time.UTC)
	r := &commands.Request{ID: 9, Role: "viewer", State: commands.StateApproved, StartAt: at}
	got := requestConfirmation(r)
	if strings.Contains(got, "Click *Reveal token*") || !strings.Contains(got, "It starts") || !strings.Contains(got, "granted at once") {
		t.Fatalf("confirmation %q: want granted, when it starts, and no button to click now", got)
	}
	r.StartAt = time.Time{}
	if got := requestConfirmation(r); !strings.Contains(got, "Click *Reveal token*") {
		t.Fatalf("confirmation of a grant for now %q: want the Reveal token button named", got)
	}
}
