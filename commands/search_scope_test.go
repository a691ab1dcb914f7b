package commands_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestSearchDevicesBeforeARoleIsChosen: someone who types in the device search before
// picking a role sees the devices that any role they may ask for allows, and no others.
func TestSearchDevicesBeforeARoleIsChosen(t *testing.T) {
	e := newEnv(t)
	p := e.svc.Policy
	p.RoleOrder = []string{"field", "ops-only"} // carol may ask for field (tag field-test) only
	refs := func(user string) []string {
		t.Helper()
		choices, err := e.svc.SearchDevices(context.Background(), user, "", "")
		if err != nil {
			t.Fatalf("search without a role for %s: %v", user, err)
		}
		var out []string
		for _, c := range choices {
			out = append(out, c.Ref)
		}
		return out
	}
	if got, want := refs(carol), []string{"tag:field-test", "dev-1", "dev-3"}; !slices.Equal(got, want) {
		t.Errorf("carol: %v, want %v (Freezer, dev-2, is outside field's scope)", got, want)
	}
	// dave may also ask for ops-only, which allows any device.
	if got := refs(dave); !slices.Contains(got, "dev-2") {
		t.Errorf("dave: %v, want every device", got)
	}
	// Two tag-scoped roles search their tags together.
	p.Roles["lab"] = &commands.Role{Name: "lab", Devices: commands.DeviceScope{Tags: []string{"lab"}}, MaxDuration: time.Hour, DefaultDuration: time.Hour, Approvals: 1}
	p.RoleOrder = []string{"field", "lab"}
	if got := refs(carol); !slices.Contains(got, "dev-2") || !slices.Contains(got, "dev-1") {
		t.Errorf("carol with field and lab: %v, want devices of both", got)
	}
}
