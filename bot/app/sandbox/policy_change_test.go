package sandbox

import (
	"os"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestRoleRemovedAtRestart (issue 11, point 4): a pending request whose role left the policy
// file is cancelled when cakegate starts with that file, the requester and the approvals
// channel are told why, and no approver can grant it.
func TestRoleRemovedAtRestart(t *testing.T) {
	ctx := testContext(t)
	s := startSandbox(t, sandboxOptions{})
	if _, err := s.slash(ctx, sandboxAlice, `request role=device-editor devices=SN-1001 reason="pump"`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.approvalMessage(ctx, "R1", nil); err != nil {
		t.Fatal(err)
	}
	// The operator removes the role and restarts.
	without, _, _ := strings.Cut(sandboxPolicy, "  device-editor:")
	if err := os.WriteFile(s.cfg.PolicyPath, []byte(without), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
	why := "role device-editor is no longer in cakegate's policy"
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool {
		return strings.Contains(t, "cancelled your request R1") && strings.Contains(t, why)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Cancelled by cakegate") }); err != nil {
		t.Fatal(err)
	}
	if answer, _ := s.slash(ctx, sandboxAnn, "approve R1"); !strings.Contains(answer, "nobody can decide on R1") {
		t.Errorf("a top-level approver's approve: %q", answer)
	}
	if r := s.request(t, ctx, 1); r.State != commands.StateCancelled || len(s.datacake.APIUsers(sandboxWorkspace)) != 0 {
		t.Fatalf("got %s, want cancelled with no API user", r.State)
	}
}
