package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

func TestApprovalMessageStates(t *testing.T) {
	fake := newFakeSlack(t)
	now := renderT0.Add(2 * time.Hour)
	decided := renderT0.Add(3 * time.Hour)
	expires := renderT0.Add(8 * time.Hour)

	tests := []struct {
		name   string
		req    func() *commands.Request
		status []string // each must appear in the status line
		want   []string // action ids, in order
	}{
		{
			name:   "Pending",
			req:    sampleRequest,
			status: []string{"Waiting for approval"},
			want:   []string{ActionApprove, ActionDeny},
		},
		{
			name: "PendingOneOfTwo",
			req: func() *commands.Request {
				r := sampleRequest()
				r.ApprovalsNeeded = 2
				r.Approvals = []commands.Approval{{User: "U0ANN", At: renderT0.Add(time.Hour)}}
				return r
			},
			status: []string{"1 of 2 approvals: <@U0ANN>"},
			want:   []string{ActionApprove, ActionDeny},
		},
		{
			name: "Provisioning",
			req: func() *commands.Request {
				r := activeRequest()
				r.State, r.Grant = commands.StateProvisioning, nil
				return r
			},
			status: []string{"Approved by <@U0BOB> · creating the token…"},
		},
		{
			name: "ProvisioningAutoApproved",
			req: func() *commands.Request {
				r := sampleRequest()
				r.State, r.DecidedBy, r.DecidedAt = commands.StateProvisioning, commands.Actor, renderT0
				return r
			},
			status: []string{"Approved by cakegate · creating the token…"},
		},
		{
			name:   "Active",
			req:    activeRequest,
			status: []string{"Approved by <@U0BOB> · expires " + slackDate(expires)},
			want:   []string{ActionRevoke},
		},
		{
			name: "ActiveWithExtension",
			req: func() *commands.Request {
				r := activeRequest()
				r.Extension = &commands.Extension{By: "U0ALICE", Duration: 24 * time.Hour, RequestedAt: now}
				return r
			},
			status: []string{"Approved by <@U0BOB> · expires", "<@U0ALICE> asks to extend by 1d"},
			want:   []string{ActionRevoke, ActionApprove, ActionDeny},
		},
		{
			name: "ActiveWithExtensionOneOfTwo",
			req: func() *commands.Request {
				r := activeRequest()
				r.ApprovalsNeeded = 2
				r.Approvals = []commands.Approval{{User: "U0ANN"}, {User: "U0BOB"}}
				r.Extension = &commands.Extension{By: "U0ALICE", Duration: 24 * time.Hour, RequestedAt: now,
					Approvals: []commands.Approval{{User: "U0ANN", At: now}}}
				return r
			},
			status: []string{"Approved by <@U0ANN>, <@U0BOB> · expires", "<@U0ALICE> asks to extend by 1d · 1 of 2 approvals: <@U0ANN>"},
			want:   []string{ActionRevoke, ActionApprove, ActionDeny},
		},
		{
			name: "Revoking",
			req: func() *commands.Request {
				r := activeRequest()
				r.State, r.Grant.Ending = commands.StateRevoking, commands.StateRevoked
				r.DecidedBy, r.DecidedAt = "U0ALICE", decided
				return r
			},
			status: []string{"Revoking…"},
		},
		{
			name: "RevokingOnExpiry",
			req: func() *commands.Request {
				r := activeRequest()
				r.State, r.Grant.Ending = commands.StateRevoking, commands.StateExpired
				return r
			},
			status: []string{"Revoking…", "expired " + slackDate(expires)},
		},
		{
			name: "Expired",
			req: func() *commands.Request {
				r := activeRequest()
				r.State = commands.StateExpired
				return r
			},
			status: []string{"Expired " + slackDate(expires)},
		},
		{
			name: "Revoked",
			req: func() *commands.Request {
				r := activeRequest()
				r.State = commands.StateRevoked
				r.DecidedBy, r.DecidedAt, r.DecisionNote = "U0CAROL", decided, "done with the sensors"
				return r
			},
			status: []string{"Revoked by <@U0CAROL> " + slackDate(decided), "done with the sensors"},
		},
		{
			name: "Denied",
			req: func() *commands.Request {
				r := sampleRequest()
				r.State = commands.StateDenied
				r.DecidedBy, r.DecidedAt, r.DecisionNote = "U0BOB", decided, "use the shared dashboard"
				return r
			},
			status: []string{"Denied by <@U0BOB> " + slackDate(decided), "use the shared dashboard"},
		},
		{
			name: "Cancelled",
			req: func() *commands.Request {
				r := sampleRequest()
				r.State, r.DecidedBy, r.DecidedAt = commands.StateCancelled, "U0ALICE", decided
				return r
			},
			status: []string{"Cancelled by the requester"},
		},
		{
			name: "CancelledByPolicyChange",
			req: func() *commands.Request {
				r := sampleRequest()
				r.State, r.DecidedBy, r.DecidedAt = commands.StateCancelled, commands.Actor, decided
				r.DecisionNote = "role viewer is no longer in cakegate's policy"
				return r
			},
			status: []string{"Cancelled by cakegate", "no longer in cakegate"},
		},
		{
			name: "TimedOut",
			req: func() *commands.Request {
				r := sampleRequest()
				r.State = commands.StateTimedOut
				return r
			},
			status: []string{"Timed out without a decision"},
		},
		{
			name: "Failed",
			req: func() *commands.Request {
				r := sampleRequest()
				r.State, r.FailureReason = commands.StateFailed, "Datacake refused to create the API user"
				return r
			},
			status: []string{"Failed: Datacake refused to create the API user"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			fallback, blocks := ApprovalMessage(r, now)
			checkMessage(t, fake, fallback, blocks)

			bs := buttons(t, blocks)
			if got, want := actionIDs(bs), append([]string{}, tt.want...); !slices.Equal(got, want) {
				t.Fatalf("buttons %v, want %v", got, want)
			}
			for _, b := range bs {
				if want := "R42;" + r.Version(); b.Value != want {
					t.Errorf("button %s has value %q, want %q", b.ActionID, b.Value, want)
				}
				wantStyle := map[string]string{ActionApprove: "primary", ActionDeny: "danger", ActionRevoke: "danger"}[b.ActionID]
				if b.Style != wantStyle {
					t.Errorf("button %s has style %q, want %q", b.ActionID, b.Style, wantStyle)
				}
				if b.Confirm != (b.ActionID == ActionRevoke) {
					t.Errorf("button %s: confirm dialog %v; only Revoke asks twice", b.ActionID, b.Confirm)
				}
			}
			if r.State.Final() && len(bs) > 0 {
				t.Errorf("final state %s has buttons", r.State)
			}

			all := strings.Join(texts(t, blocks), "\n")
			for _, s := range tt.status {
				if !strings.Contains(all, s) {
					t.Errorf("message lacks %q:\n%s", s, all)
				}
			}
			if !strings.Contains(fallback, "R42") {
				t.Errorf("fallback %q does not name the request", fallback)
			}
			for _, s := range []string{"R42 · viewer for 8h", "<@U0ALICE>", "Cold room (SN-001), Freezer 2, SN-003", "workspace: view only; devices: view", "checking the cold room sensors"} {
				if !strings.Contains(all, s) {
					t.Errorf("message lacks %q:\n%s", s, all)
				}
			}
		})
	}
}

func TestApprovalMessageButtonTexts(t *testing.T) {
	r := activeRequest()
	r.Extension = &commands.Extension{By: "U0ALICE", Duration: 24 * time.Hour}
	_, blocks := ApprovalMessage(r, renderT0)
	var got []string
	for _, b := range buttons(t, blocks) {
		got = append(got, b.Text)
	}
	if want := []string{"Revoke", "Approve extension", "Deny extension"}; !slices.Equal(got, want) {
		t.Fatalf("button texts %v, want %v", got, want)
	}
	all := strings.Join(texts(t, blocks), "\n")
	if !strings.Contains(all, "Revoke R42? The token stops working at once.") {
		t.Errorf("revoke confirm dialog missing:\n%s", all)
	}
}

func TestApprovalMessageEscapesUserText(t *testing.T) {
	fake := newFakeSlack(t)
	hostile := "<!channel> ping <@U0MALLORY> & <https://evil.example|click here> <!subteam^S1>"
	r := sampleRequest()
	r.Reason = hostile
	r.Devices[1].Name = "<!here> freezer"
	r.ApprovalsNeeded = 2
	denied := sampleRequest()
	denied.State, denied.DecidedBy, denied.DecidedAt, denied.DecisionNote = commands.StateDenied, "U0BOB", renderT0, hostile
	failed := sampleRequest()
	failed.State, failed.FailureReason = commands.StateFailed, hostile
	audit := []commands.AuditEvent{{Seq: 1, At: renderT0, Request: 42, Actor: "U0ALICE", Action: "requested", To: commands.StatePending, Detail: hostile}}
	roles := []commands.RoleInfo{{Role: &commands.Role{Name: "viewer", Description: hostile, MaxDuration: time.Hour, DefaultDuration: time.Hour}}}

	render := map[string]func() (string, []slack.Block){
		"Approval": func() (string, []slack.Block) { return ApprovalMessage(r, renderT0) },
		"Denied":   func() (string, []slack.Block) { return ApprovalMessage(denied, renderT0) },
		"Failed":   func() (string, []slack.Block) { return ApprovalMessage(failed, renderT0) },
		"Status":   func() (string, []slack.Block) { return StatusMessage(r, renderT0) },
		"Pending":  func() (string, []slack.Block) { return PendingMessage([]*commands.Request{r}, renderT0) },
		"Audit":    func() (string, []slack.Block) { return AuditMessage(audit, time.UTC) },
		"Roles":    func() (string, []slack.Block) { return RolesMessage(roles) },
	}
	for name, fn := range render {
		t.Run(name, func(t *testing.T) {
			fallback, blocks := fn()
			checkMessage(t, fake, fallback, blocks)
			all := fallback + "\n" + strings.Join(texts(t, blocks), "\n")
			for _, bad := range []string{"<!channel>", "<@U0MALLORY>", "<https://evil", "<!here>", "<!subteam^S1>"} {
				if strings.Contains(all, bad) {
					t.Errorf("user text %q reached Slack unescaped:\n%s", bad, all)
				}
			}
			if !strings.Contains(all, "&lt;!channel&gt; ping &lt;@U0MALLORY&gt; &amp; &lt;https://evil.example|click here&gt;") {
				t.Errorf("escaped reason missing:\n%s", all)
			}
			if (name == "Approval" || name == "Status" || name == "Pending") && !strings.Contains(all, "&lt;!here&gt; freezer") {
				t.Errorf("escaped device name missing:\n%s", all)
			}
		})
	}
}

// TestButtonsCarryTheVersion: every decision button carries the request's id and the
// version it showed, which changes when an extension is asked for, so an Approve shown for
// the request cannot approve the extension.
func TestButtonsCarryTheVersion(t *testing.T) {
	pending := sampleRequest()
	active := activeRequest()
	extended := activeRequest()
	extended.Extension = &commands.Extension{By: "U0ALICE", Duration: 6 * 24 * time.Hour, RequestedAt: renderT0.Add(time.Hour)}
	for _, tt := range []struct {
		name string
		r    *commands.Request
		want string
	}{
		{"Pending", pending, "R42;pending"},
		{"Active", active, "R42;active"},
		{"ExtensionAsked", extended, fmt.Sprintf("R42;active+ext%d.8640", renderT0.Add(time.Hour).Unix())},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, blocks := ApprovalMessage(tt.r, renderT0)
			bs := buttons(t, blocks)
			if len(bs) == 0 {
				t.Fatal("no buttons")
			}
			for _, b := range bs {
				if b.Value != tt.want {
					t.Errorf("button %s has value %q, want %q", b.ActionID, b.Value, tt.want)
				}
				id, version, err := parseButtonValue(b.Value)
				if err != nil || id != tt.r.ID || version != tt.r.Version() {
					t.Errorf("parseButtonValue(%q) = %v, %q, %v", b.Value, id, version, err)
				}
			}
		})
	}
}
