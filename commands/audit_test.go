package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

func TestAudit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.AuditLog = e.store
	e.active(t) // requested, approved, reveal, revealed
	tests := []struct {
		name    string
		user    string
		n       int
		want    int
		wantErr error
	}{
		{"OKApprover", ann, 2, 2, nil},
		{"OKDefaultCount", bob, 0, 4, nil},
		{"OKRoleApproverViaGroup", dave, 1, 1, nil}, // dave approves device-editor through SOPS
		{"ErrRequester", carol, 5, 0, commands.ErrNotApprover},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.Audit(ctx, tt.user, tt.n)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("got %d events, %v; want %d", len(got), err, tt.want)
			}
			if got[0].Action != "revealed" {
				t.Fatalf("got newest %q, want revealed first", got[0].Action)
			}
		})
	}
}
