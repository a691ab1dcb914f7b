package sandbox

import (
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// TestRevokeOfAPIUserDeletedInPortal: someone deleted the API user in the Datacake portal,
// then its requester revokes. However Datacake answers the delete of a missing API user,
// the grant ends and the requester is told (issue 11, point 1).
func TestRevokeOfAPIUserDeletedInPortal(t *testing.T) {
	for _, how := range []datacaketest.MissingDelete{datacaketest.MissingOKFalse, datacaketest.MissingDoesNotExist} {
		t.Run(how.String(), func(t *testing.T) {
			ctx := testContext(t)
			s := startSandbox(t, sandboxOptions{})
			s.datacake.AnswerMissingDeletes(how)
			approveR1(t, ctx, s, "8h")
			r := s.request(t, ctx, 1)
			s.datacake.DeleteAPIUserOutOfBand(r.Grant.APIUserID)
			if _, err := s.slash(ctx, sandboxAlice, "revoke R1"); err != nil {
				t.Fatal(err)
			}
			if r := s.request(t, ctx, 1); r.State != commands.StateRevoked {
				t.Fatalf("got %s, want revoked", r.State)
			}
			// The delete itself was sent, and met the missing user's answer.
			if n := s.datacake.CallCount("DeleteApiUser"); n == 0 {
				t.Fatal("revoke never asked Datacake to delete the API user")
			}
			if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "has been revoked") }); err != nil {
				t.Fatal(err)
			}
		})
	}
}
