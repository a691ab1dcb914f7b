package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

func TestRequestPolicy(t *testing.T) {
	tests := []struct {
		name    string
		in      commands.RequestInput
		wantErr *commands.Error // nil: allowed
		wantMsg string
	}{
		{"OK", commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}}, nil, ""},
		{"OKViaRequesterGroup", commands.RequestInput{Requester: eve + "-in-group", Role: "viewer", Devices: []string{"SN1"}}, nil, ""},
		{"ErrNotRequester", commands.RequestInput{Requester: eve, Role: "viewer", Devices: []string{"SN1"}}, commands.ErrNotRequester, "not on cakegate's list of requesters"},
		{"ErrNotRequesterOfRole", commands.RequestInput{Requester: carol, Role: "ops-only", Devices: []string{"SN1"}}, commands.ErrNotRequester, "role ops-only is limited to"},
		{"OKRoleRequesterGroup", commands.RequestInput{Requester: dave, Role: "ops-only", Devices: []string{"SN1"}}, nil, ""},
		{"ErrUnknownRole", commands.RequestInput{Requester: carol, Role: "admin", Devices: []string{"SN1"}}, commands.ErrUnknownRole, `no role "admin"`},
		{"ErrNoRole", commands.RequestInput{Requester: carol, Devices: []string{"SN1"}}, commands.ErrInvalid, "which role?"},
		{"ErrTooLong", commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1"}, Duration: 25 * time.Hour}, commands.ErrTooLong, "at most 1d"},
		{"OKAtMax", commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1"}, Duration: 24 * time.Hour}, nil, ""},
		{"ErrTooShort", commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Duration: time.Second}, commands.ErrInvalid, "too short"},
		{"ErrDeviceOutOfScope", commands.RequestInput{Requester: carol, Role: "field", Devices: []string{"SN2"}}, commands.ErrDeviceOutOfScope, "Freezer (SN2) is outside role field's scope"},
		{"OKDeviceInScope", commands.RequestInput{Requester: carol, Role: "field", Devices: []string{"dev-3"}}, nil, ""},
		{"OKTagWithinScope", commands.RequestInput{Requester: carol, Role: "field", Devices: []string{"tag:lab"}}, nil, ""},
		{"ErrTagOutsideScope", commands.RequestInput{Requester: carol, Role: "field", Devices: []string{"tag:nothing"}}, commands.ErrUnknownDevice, `no device tagged "nothing"`},
		{"ErrUnknownDevice", commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN9"}}, commands.ErrUnknownDevice, `no device "SN9"`},
		{"ErrNoDevicesForViewer", commands.RequestInput{Requester: carol, Role: "viewer"}, commands.ErrInvalid, "name at least one"},
		{"OKNoDevicesWithWorkspacePermissions", commands.RequestInput{Requester: carol, Role: "device-editor"}, nil, ""},
		{"ErrNoReason", commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: "  "}, commands.ErrInvalid, "say why"},
		{"ErrReasonTooLong", commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: strings.Repeat("é", commands.MaxReasonLength+1)}, commands.ErrInvalid, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			in := tt.in
			if in.Reason == "" && tt.name != "ErrNoReason" {
				in.Reason = "testing"
			}
			r, err := e.svc.Request(context.Background(), in)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if r.State != commands.StatePending || r.ID == 0 {
					t.Fatalf("got %s in %s, want a stored pending request", r.ID, r.State)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v (code %s), want code %s", err, commands.ErrorCode(err), tt.wantErr.Code)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("got message %q, want it to contain %q", err, tt.wantMsg)
			}
			if e.store.Count() != 0 {
				t.Fatalf("a refused request was stored")
			}
		})
	}
}

func TestRequestDefaults(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "device-editor", Devices: []string{"SN1", "sn1", "dev-1", "tag:lab"}})
	if r.Duration != 8*time.Hour {
		t.Errorf("got duration %v, want the role default 8h", r.Duration)
	}
	var ids []string
	for _, d := range r.Devices {
		ids = append(ids, d.ID)
	}
	if got := strings.Join(ids, ","); got != "dev-1,dev-2,dev-3" {
		t.Errorf("got devices %s, want dev-1,dev-2,dev-3 (duplicates removed, tag expanded)", got)
	}
	if r.ApprovalsNeeded != 2 {
		t.Errorf("got %d approvals needed, want the role's 2", r.ApprovalsNeeded)
	}
	if got, want := strings.Join(r.WorkspacePermissions, ","), "devices"; got != want {
		t.Errorf("got workspace permissions %s, want %s", got, want)
	}
	if got := e.store.AuditActions(r.ID); strings.Join(got, ",") != "requested" {
		t.Errorf("got audit %v, want [requested]", got)
	}
	if n := e.store.Notifications(r.ID); len(n) != 1 || n[0].Kind != commands.NotifyApprovalRequest {
		t.Errorf("got outbox %+v, want one approval request", n)
	}
}

func TestRequestAutoApprove(t *testing.T) {
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "auto", Devices: []string{"SN2"}})
	if r.State != commands.StateApproved {
		t.Fatalf("got state %s, want approved", r.State)
	}
	if _, ok := e.notifier.Token(r.ID); ok {
		t.Fatal("a token was shown before its requester clicked Reveal")
	}
	if r = e.reveal(t, r.ID); r.Grant == nil {
		t.Fatal("no grant after the reveal")
	}
}
