package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
)

// publishHomeView publishes view as user's Home tab on the fake Slack, which checks it
// against Block Kit's limits for views, and returns the tab as the user sees it.
func publishHomeView(t *testing.T, f *fakeSlack, user string, view slack.HomeTabViewRequest) string {
	t.Helper()
	f.srv.AddUser(slacktest.User{ID: user, Name: strings.ToLower(user)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := len(f.srv.CallsTo("views.publish"))
	if _, err := f.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		var problems []string
		if calls := f.srv.CallsTo("views.publish"); len(calls) > before {
			problems = calls[len(calls)-1].Problems
		}
		t.Fatalf("fake Slack refused the Home tab: %v\n%s", err, strings.Join(problems, "\n"))
	}
	home, ok := f.srv.HomeTab(user)
	if !ok {
		t.Fatalf("no Home tab for %s after publishing", user)
	}
	return f.srv.RenderView(home)
}

// homeHeaders lists the header texts of blocks, in order.
func homeHeaders(blocks []slack.Block) []string {
	var out []string
	for _, b := range blocks {
		if h, ok := b.(*slack.HeaderBlock); ok {
			out = append(out, h.Text.Text)
		}
	}
	return out
}

// homeSample is alice's requests: one active token, one pending request, one ended.
func homeSample() []*commands.Request {
	active := activeRequest()
	pending := sampleRequest()
	pending.ID, pending.CreatedAt = 43, renderT0.Add(time.Hour)
	ended := activeRequest()
	ended.ID, ended.State = 40, commands.StateRevoked
	ended.DecidedBy, ended.DecidedAt = "U0ALICE", renderT0.Add(2*time.Hour)
	return []*commands.Request{pending, active, ended}
}

// homeQueueSample is what an approver may decide: a pending request and an extension.
func homeQueueSample() []*commands.Request {
	pending := sampleRequest()
	pending.ID, pending.Requester = 44, "U0CAROL"
	ext := activeRequest()
	ext.ID = 45
	ext.Extension = &commands.Extension{By: "U0ALICE", Duration: 24 * time.Hour, RequestedAt: renderT0.Add(time.Hour)}
	return []*commands.Request{pending, ext}
}

func TestHomeSectionsPerRole(t *testing.T) {
	fake := newFakeSlack(t)
	now := renderT0.Add(2 * time.Hour)
	tests := []struct {
		name    string
		home    Home
		headers []string
		buttons []string // action id and value, in order
		want    []string // in the tab as the user sees it
		not     []string
	}{
		{
			name:    "Newcomer",
			home:    Home{},
			headers: []string{"My tokens", "My requests"},
			want:    []string{"You hold no tokens.", "No request of yours is waiting", "/cakegate request` asks for one"},
			not:     []string{"Waiting for you", "Recently ended"},
		},
		{
			name:    "Requester",
			home:    Home{Requests: homeSample(), RequestAction: ActionOpenRequest},
			headers: []string{"My tokens", "My requests"},
			buttons: []string{ActionOpenRequest + " request", ActionExtend + " R42", ActionRevoke + " R42", ActionRemindApprovers + " R43", ActionCancel + " R43"},
			want: []string{
				"[Request a token]",
				"*R42* · role *viewer* · Cold room (SN-001), Freezer 2, SN-003",
				"Expires 2026-11-27 17:00 UTC, in about 6h",
				"[Extend] [Revoke]",
				"*R43* · role *viewer* for 8h · 3 devices · asked 2026-11-27 10:00 UTC",
				"waiting for approval\n[Remind approvers] [Cancel]",
				"*Recently ended*", "*R40* · viewer · 3 devices · revoked 2026-11-27 11:00 UTC",
			},
			not: []string{"Waiting for you", "[Approve]", "You hold no tokens"},
		},
		{
			name: "RequesterWithExtensionAsked",
			home: Home{Requests: func() []*commands.Request {
				r := activeRequest()
				r.Extension = &commands.Extension{By: "U0ALICE", Duration: 24 * time.Hour}
				return []*commands.Request{r}
			}()},
			headers: []string{"My tokens", "My requests"},
			buttons: []string{ActionRevoke + " R42"},
			want:    []string{"You asked to extend it by 1d; waiting for approval."},
		},
		{
			name: "TokenBeingCreatedOrRevoked",
			home: Home{Requests: func() []*commands.Request {
				p := activeRequest()
				p.State, p.Grant = commands.StateProvisioning, nil
				r := activeRequest()
				r.ID, r.State = 41, commands.StateRevoking
				return []*commands.Request{p, r}
			}()},
			headers: []string{"My tokens", "My requests"},
			want:    []string{"the token is being created", "Being revoked"},
			not:     []string{"[Revoke]", "[Extend]"},
		},
		{
			name:    "ApproverWithQueue",
			home:    Home{Requests: homeSample(), Approver: true, Waiting: homeQueueSample()},
			headers: []string{"My tokens", "My requests", "Waiting for you (2)"},
			buttons: []string{
				ActionExtend + " R42", ActionRevoke + " R42", ActionRemindApprovers + " R43", ActionCancel + " R43",
				ActionApprove + " R44", ActionDeny + " R44", ActionApprove + " R45", ActionDeny + " R45",
			},
			want: []string{"*R44* · @U0CAROL asks for *viewer* for 8h", "[Approve] [Deny]", "@u0alice asks to extend by 1d", "[Approve extension] [Deny extension]"},
		},
		{
			name:    "ApproverWithNothingWaiting",
			home:    Home{Approver: true},
			headers: []string{"My tokens", "My requests", "Waiting for you"},
			want:    []string{"Nothing is waiting for your decision."},
		},
		{
			name:    "Notice",
			home:    Home{Notice: ":warning: R42 was already denied by <@U0BOB>.", Approver: true},
			headers: []string{"My tokens", "My requests", "Waiting for you"},
			want:    []string{":warning: R42 was already denied by @U0BOB."},
		},
		{
			name:    "Unreadable",
			home:    Home{RequestsErr: "the store is busy", Approver: true, WaitingErr: "user groups could not be read"},
			headers: []string{"My tokens", "Waiting for you"},
			want:    []string{"the store is busy", "user groups could not be read"},
			not:     []string{"You hold no tokens"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view := HomeView(tt.home, now)
			if view.Type != slack.VTHomeTab || view.CallbackID != homeCallbackID {
				t.Fatalf("view type %q callback %q", view.Type, view.CallbackID)
			}
			blocks := view.Blocks.BlockSet
			if got := homeHeaders(blocks); !slices.Equal(got, tt.headers) {
				t.Errorf("headers %q, want %q", got, tt.headers)
			}
			var got []string
			for _, b := range buttons(t, blocks) {
				id, _, _ := strings.Cut(b.Value, ";") // the version is TestButtonsCarryTheVersion's
				got = append(got, b.ActionID+" "+id)
				if b.Confirm != (b.ActionID == ActionRevoke) {
					t.Errorf("button %s: confirm dialog %v; only Revoke asks twice", b.ActionID, b.Confirm)
				}
			}
			if tt.buttons == nil {
				tt.buttons = []string{}
			}
			if got == nil {
				got = []string{}
			}
			if !slices.Equal(got, tt.buttons) {
				t.Errorf("buttons %q, want %q", got, tt.buttons)
			}
			shown := publishHomeView(t, fake, "U0ALICE", view)
			for _, w := range tt.want {
				if !strings.Contains(shown, w) {
					t.Errorf("Home tab lacks %q:\n%s", w, shown)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(shown, w) {
					t.Errorf("Home tab has %q:\n%s", w, shown)
				}
			}
			if tt.home.Notice != "" && !strings.Contains(fmt.Sprint(texts(t, blocks[:1])), "already denied") {
				t.Errorf("the notice is not the first block")
			}
		})
	}
}

// TestHomeLimits gives an approver 500 requests to decide and twenty of their own with
// long texts: the tab stays within Slack's limits and says how many it left out.
func TestHomeLimits(t *testing.T) {
	fake := newFakeSlack(t)
	now := renderT0.Add(time.Hour)
	long := strings.Repeat("cold room <sensor> & door ", 200)
	var devices []commands.Device
	for i := range 300 {
		devices = append(devices, commands.Device{ID: fmt.Sprint(i), Name: fmt.Sprintf("Freezer %03d in the back room", i), Serial: fmt.Sprintf("SN-%04d", i)})
	}
	var waiting []*commands.Request
	for i := range 500 {
		r := sampleRequest()
		r.ID, r.Requester, r.Reason, r.Devices, r.Role = commands.RequestID(1000+i), "U0CAROL", long, devices, strings.Repeat("r", 300)
		waiting = append(waiting, r)
	}
	var mine []*commands.Request
	for i := range commands.ListLimit {
		r := activeRequest()
		if i%2 == 1 {
			r = sampleRequest()
		}
		r.ID, r.Devices, r.Role = commands.RequestID(100+i), devices, strings.Repeat("role ", 100)
		mine = append(mine, r)
	}

	for _, tc := range []struct {
		name string
		home Home
	}{
		{"QueueOnly", Home{Approver: true, Waiting: waiting}},
		{"MineAndQueue", Home{Notice: long, Requests: mine, Approver: true, Waiting: waiting, RequestAction: ActionOpenRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			view := HomeView(tc.home, now)
			blocks := view.Blocks.BlockSet
			if n := len(blocks); n > maxViewBlocks {
				t.Fatalf("%d blocks, want at most %d", n, maxViewBlocks)
			}
			publishHomeView(t, fake, "U0ANN", view)

			last := texts(t, blocks[len(blocks)-1:])
			m := regexp.MustCompile(`^…and (\d+) more waiting`).FindStringSubmatch(strings.Join(last, ""))
			if m == nil {
				t.Fatalf("the last block is %q, want …and N more waiting", last)
			}
			more, _ := strconv.Atoi(m[1])
			shown := 0
			for _, b := range buttons(t, blocks) {
				if b.ActionID == ActionApprove {
					shown++
				}
			}
			if shown == 0 || shown+more != len(waiting) {
				t.Fatalf("%d shown + %d more, want %d", shown, more, len(waiting))
			}
		})
	}
}

// TestHomeEscapesUserText: what people typed shows as typed and pings nobody.
func TestHomeEscapesUserText(t *testing.T) {
	fake := newFakeSlack(t)
	hostile := "<!channel> ping <@U0MALLORY> & <https://evil.example|click here>"
	mine := sampleRequest()
	mine.Role = hostile
	waiting := sampleRequest()
	waiting.Reason, waiting.Devices[0].Name = hostile, "<!here> freezer"
	view := HomeView(Home{Requests: []*commands.Request{mine}, Approver: true, Waiting: []*commands.Request{waiting}, CommandName: "/cg<!here>"}, renderT0)
	publishHomeView(t, fake, "U0ANN", view)
	all := strings.Join(texts(t, view.Blocks.BlockSet), "\n")
	for _, bad := range []string{"<!channel>", "<@U0MALLORY>", "<https://evil", "<!here>"} {
		if strings.Contains(all, bad) {
			t.Errorf("user text %q reached Slack unescaped:\n%s", bad, all)
		}
	}
	for _, want := range []string{"&lt;!channel&gt; ping &lt;@U0MALLORY&gt; &amp;", "&lt;!here&gt; freezer"} {
		if !strings.Contains(all, want) {
			t.Errorf("escaped text %q missing:\n%s", want, all)
		}
	}
}

func TestFitRoom(t *testing.T) {
	item := func(n int) []slack.Block {
		out := make([]slack.Block, n)
		for i := range out {
			out[i] = slack.NewDividerBlock()
		}
		return out
	}
	more := func(n int) string { return fmt.Sprintf("…and %d more", n) }
	tests := []struct {
		name      string
		items     [][]slack.Block
		room      int
		wantCount int
		wantMore  string
	}{
		{"AllFit", [][]slack.Block{item(2), item(2)}, 4, 4, ""},
		{"Cut", [][]slack.Block{item(2), item(2), item(2)}, 5, 5, "…and 1 more"},
		{"CutBeforeTwoBlockItem", [][]slack.Block{item(1), item(2)}, 2, 2, "…and 1 more"},
		{"NoneFit", [][]slack.Block{item(2)}, 1, 1, "…and 1 more"},
		{"Empty", nil, 3, 1, "empty"},
		{"NoRoom", [][]slack.Block{item(1)}, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s blockSet
			fitRoom(&s, "more", tt.items, tt.room, "empty", more)
			if len(s.blocks) != tt.wantCount {
				t.Fatalf("%d blocks, want %d", len(s.blocks), tt.wantCount)
			}
			if len(s.blocks) > tt.room {
				t.Fatalf("%d blocks in a room of %d", len(s.blocks), tt.room)
			}
			got := ""
			if n := len(s.blocks); n > 0 {
				if cb, isContext := s.blocks[n-1].(*slack.ContextBlock); isContext {
					got = cb.ContextElements.Elements[0].(*slack.TextBlockObject).Text
				}
			}
			if got != tt.wantMore {
				t.Fatalf("last line %q, want %q", got, tt.wantMore)
			}
		})
	}
}
