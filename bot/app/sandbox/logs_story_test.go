package sandbox

import (
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

// TestLogsTellTheStory: every state change of a request leaves one INFO line with the
// request, the actor, the role and from → to; the token never appears.
func TestLogsTellTheStory(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	s := startSandbox(t, sandboxOptions{log: logs})
	ctx := testContext(t)
	token := playShortStory(t, ctx, s, nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	var changes []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `msg="request state changed"`) {
			changes = append(changes, l)
		}
	}
	for _, want := range []string{
		"request=R1 actor=U0ALICE action=requested role=viewer to=pending",
		"request=R1 actor=U0ANN action=approved role=viewer from=pending to=",
		"request=R1 actor=U0ALICE action=revoke role=viewer from=active to=",
		"to=revoked",
	} {
		n := 0
		for _, l := range changes {
			if strings.Contains(l, want) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("want one state change line with %q, got %d in:\n%s", want, n, strings.Join(changes, "\n"))
		}
	}
	if strings.Contains(out, token) {
		t.Fatal("the log shows the token")
	}
}

// TestLogsWarnWhatUsersAreWarnedOf: a user told ":warning: cakegate could not check Slack
// user group membership" leaves one WARN line with the same words.
func TestLogsWarnWhatUsersAreWarnedOf(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	policy := strings.Replace(sandboxPolicy, "approvers: ["+sandboxAnn+", "+sandboxBob+"]", "approvers: [S0OWNERS]", 1)
	s := startSandbox(t, sandboxOptions{log: logs, policy: policy})
	s.slack.AddUserGroup("S0OWNERS", sandboxAnn)
	ctx := testContext(t)
	if _, err := s.slash(ctx, sandboxAlice, `request role=viewer devices=SN-1001 reason="x"`); err != nil {
		t.Fatal(err)
	}
	s.slack.FailNext("usergroups.users.list", 10, "internal_error")
	answer, err := s.slash(ctx, sandboxAnn, "approve R1")
	if err != nil {
		t.Fatal(err)
	}
	const words = "cakegate could not check Slack user group membership just now"
	mustContain(t, "ann's answer", answer, ":warning: "+words)
	n := 0
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, `msg="user warned"`) && strings.Contains(l, "user="+sandboxAnn) && strings.Contains(l, words) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("want one WARN with %q, got %d:\n%s", words, n, logs.String())
	}
}
