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

func TestRequestLine(t *testing.T) {
	expires := renderT0.Add(8 * time.Hour)
	tests := []struct {
		name string
		req  func() *commands.Request
		want string
	}{
		{"Active", activeRequest, "*R42* · viewer · 3 devices · active until " + slackDate(expires) + " · 8h"},
		{"Pending", sampleRequest, "*R42* · viewer · 3 devices · pending · 8h"},
		{"PendingOneOfTwo", func() *commands.Request {
			r := sampleRequest()
			r.ApprovalsNeeded, r.Approvals = 2, []commands.Approval{{User: "U0ANN"}}
			r.Devices = r.Devices[:1]
			return r
		}, "*R42* · viewer · 1 device · pending, 1 of 2 approvals · 8h"},
		{"Expired", func() *commands.Request {
			r := activeRequest()
			r.State = commands.StateExpired
			return r
		}, "*R42* · viewer · 3 devices · expired " + slackDate(expires) + " · 8h"},
		{"EscapedRole", func() *commands.Request {
			r := sampleRequest()
			r.Role = "<!channel>"
			return r
		}, "*R42* · &lt;!channel&gt; · 3 devices · pending · 8h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RequestLine(tt.req()); got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// manyRequests returns n requests in turn pending, active with an extension waiting, and
// expired.
func manyRequests(n int) []*commands.Request {
	out := make([]*commands.Request, n)
	for i := range out {
		r := activeRequest()
		r.ID = commands.RequestID(i + 1)
		switch i % 3 {
		case 0:
			r.State, r.Grant, r.Approvals = commands.StatePending, nil, nil
		case 1:
			r.Extension = &commands.Extension{By: r.Requester, Duration: 24 * time.Hour, RequestedAt: renderT0}
		case 2:
			r.State = commands.StateExpired
		}
		out[i] = r
	}
	return out
}

var moreRE = regexp.MustCompile(`…and (\d+) more`)

// checkCut checks that a list too long for one message was cut: at most 50 blocks, the last a
// context block saying how many were left out, and shown + left out = total.
func checkCut(t *testing.T, blocks []slack.Block, total int, shown func(b slack.Block) bool) {
	t.Helper()
	if len(blocks) > 50 {
		t.Fatalf("%d blocks, want at most 50", len(blocks))
	}
	last, ok := blocks[len(blocks)-1].(*slack.ContextBlock)
	if !ok {
		t.Fatalf("last block is %T, want a context block", blocks[len(blocks)-1])
	}
	text := last.ContextElements.Elements[0].(*slack.TextBlockObject).Text
	m := moreRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("last block %q does not say …and N more", text)
	}
	more, _ := strconv.Atoi(m[1])
	n := 0
	for _, b := range blocks {
		if shown(b) {
			n++
		}
	}
	if n+more != total || n == 0 {
		t.Fatalf("%d shown + %d more, want %d in all", n, more, total)
	}
}

func blockIDSuffix(suffix string) func(slack.Block) bool {
	return func(b slack.Block) bool { return strings.HasSuffix(b.ID(), suffix) }
}

func TestListMessage(t *testing.T) {
	fake := newFakeSlack(t)
	t.Run("Short", func(t *testing.T) {
		reqs := manyRequests(3)
		fallback, blocks := ListMessage(reqs, renderT0)
		checkMessage(t, fake, fallback, blocks)
		if got, want := actionIDs(buttons(t, blocks)), []string{ActionCancel, ActionRevoke}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("buttons %v, want %v", got, want)
		}
		joined := strings.Join(texts(t, blocks), "\n")
		if !strings.Contains(joined, RequestLine(reqs[1])) {
			t.Errorf("list lacks the line of R2:\n%s", joined)
		}
		if !strings.Contains(joined, "ends in about 8h") {
			t.Errorf("list does not say how long R2 has left:\n%s", joined)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		fallback, blocks := ListMessage(nil, renderT0)
		checkMessage(t, fake, fallback, blocks)
	})
	t.Run("FiveHundred", func(t *testing.T) {
		fallback, blocks := ListMessage(manyRequests(500), renderT0)
		checkMessage(t, fake, fallback, blocks)
		checkCut(t, blocks, 500, blockIDSuffix("_line"))
	})
	t.Run("JustFits", func(t *testing.T) {
		// The summary and 49 lines make 50 blocks: no "more" line is needed.
		_, blocks := ListMessage(manyRequests(49), renderT0)
		if len(blocks) != 50 {
			t.Fatalf("%d blocks, want 50", len(blocks))
		}
		if _, cut := blocks[49].(*slack.ContextBlock); cut {
			t.Fatalf("a list that fits was cut")
		}
		_, blocks = ListMessage(manyRequests(50), renderT0)
		checkCut(t, blocks, 50, blockIDSuffix("_line"))
	})
}

func TestPendingMessage(t *testing.T) {
	fake := newFakeSlack(t)
	t.Run("Queue", func(t *testing.T) {
		reqs := manyRequests(3) // R1 pending, R2 extension waiting, R3 expired
		fallback, blocks := PendingMessage(reqs, renderT0.Add(2*time.Hour))
		checkMessage(t, fake, fallback, blocks)
		bs := buttons(t, blocks)
		got := []string{}
		for _, b := range bs {
			id, _, _ := strings.Cut(b.Value, ";") // the version is TestButtonsCarryTheVersion's
			got = append(got, b.ActionID+"="+id+":"+b.Text)
		}
		want := []string{
			ActionApprove + "=R1:Approve", ActionDeny + "=R1:Deny",
			ActionApprove + "=R2:Approve extension", ActionDeny + "=R2:Deny extension",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("buttons %v, want %v", got, want)
		}
		joined := strings.Join(texts(t, blocks), "\n")
		for _, s := range []string{"*R1* · <@U0ALICE> asks for *viewer* for 8h · waiting 2h", "checking the cold room sensors", "*R2*", "<@U0ALICE> asks to extend by 1d"} {
			if !strings.Contains(joined, s) {
				t.Errorf("queue lacks %q:\n%s", s, joined)
			}
		}
		if strings.Contains(joined, "*R3*") {
			t.Errorf("queue shows expired R3:\n%s", joined)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		fallback, blocks := PendingMessage(nil, renderT0)
		checkMessage(t, fake, fallback, blocks)
	})
	t.Run("FiveHundred", func(t *testing.T) {
		reqs := manyRequests(500)
		waiting := 0
		for _, r := range reqs {
			if r.State != commands.StateExpired {
				waiting++
			}
		}
		fallback, blocks := PendingMessage(reqs, renderT0)
		checkMessage(t, fake, fallback, blocks)
		checkCut(t, blocks, waiting, blockIDSuffix("_pending"))
	})
}

func TestStatusMessage(t *testing.T) {
	fake := newFakeSlack(t)
	r := activeRequest()
	r.ApprovalsNeeded = 2
	r.Approvals = append(r.Approvals, commands.Approval{User: "U0ANN", At: renderT0.Add(2 * time.Minute)})
	r.Grant.RemindersSent = []time.Duration{24 * time.Hour}
	r.Extension = &commands.Extension{By: "U0ALICE", Duration: 4 * time.Hour, RequestedAt: renderT0.Add(time.Hour)}
	fallback, blocks := StatusMessage(r, renderT0.Add(time.Hour))
	checkMessage(t, fake, fallback, blocks)
	joined := strings.Join(texts(t, blocks), "\n")
	for _, s := range []string{
		"R42 · viewer for 8h",
		"*Approvals:* 2 of 2: <@U0BOB> " + slackDate(renderT0.Add(time.Minute)) + ", <@U0ANN>",
		"*Grant:* API user `cakegate-r42-u0alice`",
		"expires " + slackDate(r.Grant.ExpiresAt),
		"reminded 1d before",
		"*Extension:* <@U0ALICE> asks to extend by 4h",
		"*State*\nactive",
	} {
		if !strings.Contains(joined, s) {
			t.Errorf("status lacks %q:\n%s", s, joined)
		}
	}
	if bs := buttons(t, blocks); len(bs) != 0 {
		t.Errorf("status has buttons %v", actionIDs(bs))
	}
}

func TestRolesMessage(t *testing.T) {
	fake := newFakeSlack(t)
	viewer := &commands.Role{Name: "viewer", Description: "See chosen devices and their data", Devices: commands.DeviceScope{Any: true},
		MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1}
	editor := &commands.Role{Name: "device-editor", WorkspacePermissions: []string{"devices"}, DevicePermissions: []string{"edit_basics"},
		Devices: commands.DeviceScope{Tags: []string{"field-test"}}, MaxDuration: 24 * time.Hour, DefaultDuration: 4 * time.Hour,
		Approvals: 2, Approvers: []string{"S0OPS"}}
	glass := &commands.Role{Name: "break-glass", BreakGlass: true, MaxDuration: time.Hour, DefaultDuration: time.Hour}
	roles := []commands.RoleInfo{
		{Role: viewer, Grants: commands.DescribeGrants(nil, nil)},
		{Role: editor, Grants: commands.DescribeGrants(editor.WorkspacePermissions, editor.DevicePermissions)},
		{Role: glass},
	}

	t.Run("Roles", func(t *testing.T) {
		fallback, blocks := RolesMessage(roles)
		checkMessage(t, fake, fallback, blocks)
		joined := strings.Join(texts(t, blocks), "\n")
		for _, s := range []string{
			"*viewer* — See chosen devices and their data",
			"*Grants:* workspace: view only; devices: view",
			"*Devices:* any device",
			"*Duration:* 8h by default, at most 7d",
			"*Approval:* 1 approval from the approvers",
			"*Grants:* workspace: devices; devices: view, edit_basics",
			"*Devices:* devices tagged field-test",
			"*Approval:* 2 approvals from <!subteam^S0OPS>",
			"break-glass",
			"`/cakegate request role=viewer`",
		} {
			if !strings.Contains(joined, s) {
				t.Errorf("roles lack %q:\n%s", s, joined)
			}
		}
	})

	t.Run("LongDescription", func(t *testing.T) {
		long := *viewer
		long.Description = strings.Repeat("🎂é", 2500) // 5000 runes, 15000 bytes
		fallback, blocks := RolesMessage([]commands.RoleInfo{{Role: &long}})
		checkMessage(t, fake, fallback, blocks)
		sec, ok := blocks[1].(*slack.SectionBlock)
		if !ok {
			t.Fatalf("block 1 is %T, want the role's section", blocks[1])
		}
		text := sec.Text.Text
		if n := utf8.RuneCountInString(text); n > 3000 {
			t.Fatalf("role section has %d runes, want at most 3000", n)
		}
		if !utf8.ValidString(text) || !strings.Contains(text, "…") {
			t.Fatalf("description not cut cleanly: %q", text[len(text)-40:])
		}
		if !strings.Contains(text, "*Duration:* 8h by default") {
			t.Errorf("cutting the description dropped the facts:\n%s", text[len(text)-300:])
		}
	})

	t.Run("Many", func(t *testing.T) {
		var many []commands.RoleInfo
		for i := range 120 {
			r := *viewer
			r.Name = fmt.Sprintf("role-%d", i)
			many = append(many, commands.RoleInfo{Role: &r})
		}
		fallback, blocks := RolesMessage(many)
		checkMessage(t, fake, fallback, blocks)
		checkCut(t, blocks, 120, func(b slack.Block) bool { return strings.HasPrefix(b.ID(), "role_") })
	})

	t.Run("Empty", func(t *testing.T) {
		fallback, blocks := RolesMessage(nil)
		checkMessage(t, fake, fallback, blocks)
	})
}

func TestAuditMessage(t *testing.T) {
	fake := newFakeSlack(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	events := []commands.AuditEvent{
		{Seq: 1, At: renderT0, Request: 42, Actor: "U0ALICE", Action: "requested", To: commands.StatePending, Detail: "role viewer for 8h:\nline two"},
		{Seq: 2, At: renderT0.Add(time.Minute), Request: 42, Actor: "U0BOB", Action: "approved", From: commands.StatePending, To: commands.StateProvisioning},
		{Seq: 3, At: renderT0.Add(2 * time.Minute), Request: 42, Actor: commands.Actor, Action: "provisioned", From: commands.StateProvisioning, To: commands.StateActive},
	}
	t.Run("Lines", func(t *testing.T) {
		fallback, blocks := AuditMessage(events, berlin)
		checkMessage(t, fake, fallback, blocks)
		joined := strings.Join(texts(t, blocks), "\n")
		want := strings.Join([]string{
			"`2026-11-27 10:02 CET` *R42* cakegate provisioned → token works",
			"`2026-11-27 10:01 CET` *R42* <@U0BOB> approved → token being created",
			"`2026-11-27 10:00 CET` *R42* <@U0ALICE> requested → waiting for approval: role viewer for 8h: line two",
		}, "\n")
		if !strings.Contains(joined, want) {
			t.Fatalf("audit lines:\n%s\nwant, newest first, one line each:\n%s", joined, want)
		}
	})
	t.Run("Many", func(t *testing.T) {
		var many []commands.AuditEvent
		for i := range 5000 {
			e := events[i%3]
			e.Seq = uint64(i + 1)
			e.Detail = strings.Repeat("x", i%200)
			many = append(many, e)
		}
		fallback, blocks := AuditMessage(many, time.UTC)
		checkMessage(t, fake, fallback, blocks)
		last, ok := blocks[len(blocks)-1].(*slack.ContextBlock)
		if !ok {
			t.Fatalf("last block is %T, want …and N more", blocks[len(blocks)-1])
		}
		m := moreRE.FindStringSubmatch(last.ContextElements.Elements[0].(*slack.TextBlockObject).Text)
		if m == nil {
			t.Fatalf("last block does not say …and N more")
		}
		more, _ := strconv.Atoi(m[1])
		shown := 0
		for _, b := range blocks {
			if sec, ok := b.(*slack.SectionBlock); ok {
				shown += strings.Count(sec.Text.Text, "\n") + 1
			}
		}
		if shown+more != 5000 {
			t.Fatalf("%d shown + %d more, want 5000", shown, more)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		fallback, blocks := AuditMessage(nil, nil)
		checkMessage(t, fake, fallback, blocks)
	})
}

func TestHelpMessage(t *testing.T) {
	fake := newFakeSlack(t)
	fallback, blocks := HelpMessage(renderUsage)
	checkMessage(t, fake, fallback, blocks)
	joined := strings.Join(texts(t, blocks), "\n")
	for _, s := range []string{"`/cakegate request [role=R]", "say why &lt;optional&gt;", "`/cakegate audit [N]` — the last N audit entries"} {
		if !strings.Contains(joined, s) {
			t.Errorf("help lacks %q:\n%s", s, joined)
		}
	}
}

// renderUsage is usage text like Usage returns, with the characters mrkdwn must escape.
const renderUsage = "`/cakegate request [role=R] [devices=a,b|tag:x] [for=8h] [reason=\"…\"]` — ask for a token\n" +
	"`/cakegate deny ID [reason…]` — deny a request & say why <optional>\n" +
	"`/cakegate audit [N]` — the last N audit entries"
