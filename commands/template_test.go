package commands_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

const templatePolicyHead = `workspace: w1
approvals_channel: C1
approvers: [U1]
roles:
  field:
    devices: {tags: [field-test]}
    max_duration: 24h
templates:
`

func TestParsePolicyTemplates(t *testing.T) {
	pol, err := commands.ParsePolicy("test.yaml", []byte(templatePolicyHead+`  check:
    role: field
    devices: [TAG:field-test, SN1]
    duration: 4h
    reason_hint: Name the test run.
    requesters: [S0FIELD]
  bare: {role: field}
`))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	if got := pol.TemplateOrder; !slices.Equal(got, []string{"check", "bare"}) {
		t.Fatalf("TemplateOrder = %q, want check, bare", got)
	}
	c, _ := pol.Template("check")
	if c.Role != "field" || !slices.Equal(c.Devices, []string{"tag:field-test", "SN1"}) || c.Duration != 4*time.Hour ||
		c.ReasonHint != "Name the test run." || !slices.Equal(c.Requesters, []string{"S0FIELD"}) {
		t.Fatalf("template check = %+v", c)
	}
	if b, _ := pol.Template("bare"); b.Duration != 0 || b.Devices != nil {
		t.Fatalf("template bare = %+v, want no devices and no duration", b)
	}
}

// TestParsePolicyRefusesWideningTemplate: a template that would give more than its role —
// a longer duration, a tag outside the role's devices — stops the policy with file and line.
func TestParsePolicyRefusesWideningTemplate(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
		want       string
	}{
		{"LongerThanRole", "  long: {role: field, duration: 2d}\n", 9,
			`template "long": duration 2d is longer than role field allows (max_duration 1d): a template never widens its role`},
		{"TagOutsideRole", "  wide:\n    role: field\n    devices: [tag:lab]\n", 11,
			`template "wide": devices: tag:lab is outside role field, which covers devices tagged field-test: a template never widens its role`},
		{"UnknownRole", "  typo: {role: fiel}\n", 9, `template "typo": role fiel is not defined under roles: (did you mean "field"?)`},
		{"NoRole", "  none: {duration: 1h}\n", 9, `template "none": role is missing`},
		{"RoleSetting", "  perms: {role: field, workspace_permissions: [devices]}\n", 9,
			`template "perms": unknown key "workspace_permissions": workspace_permissions is a role setting`},
		{"BadName", "  Big: {role: field}\n", 9, `templates: template name "Big": use only lowercase letters`},
		{"EmptyTag", "  t: {role: field, devices: [\"tag: \"]}\n", 9, `template "t": devices: tag: needs a name`},
		// The role adopted API users get is no role anyone may ask for (issue 25 meets 26).
		{"AdoptedRole", "  keep: {role: adopted}\n", 9, `template "keep": role adopted is what cakegate calls adopted API users; no one may ask for it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := commands.ParsePolicy("test.yaml", []byte(templatePolicyHead+tt.yaml))
			var perr *commands.PolicyError
			if !errors.As(err, &perr) {
				t.Fatalf("got %v, want a *commands.PolicyError", err)
			}
			if len(perr.Problems) != 1 || perr.Problems[0].Line != tt.line || !strings.Contains(perr.Problems[0].Message, tt.want) {
				t.Fatalf("got\n%v\nwant one problem on line %d containing\n%s", err, tt.line, tt.want)
			}
		})
	}
}

// TestTemplateRequestStory: a requester asks with a template; the request takes its role,
// devices and duration, records it, and the audit says so. For= and reason= still apply,
// within the role.
func TestTemplateRequestStory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.request(t, commands.RequestInput{Requester: carol, Template: "field-check", Reason: "FT-12"})
	if r.Role != "field" || r.Template != "field-check" || r.Duration != 4*time.Hour || r.State != commands.StatePending {
		t.Fatalf("got role %s template %q for %v in %s, want field, field-check, 4h, pending", r.Role, r.Template, r.Duration, r.State)
	}
	var ids []string
	for _, d := range r.Devices {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, []string{"dev-1", "dev-3"}) {
		t.Fatalf("devices %q, want those tagged field-test", ids)
	}
	events := e.store.AuditEvents(r.ID)
	if len(events) == 0 || !strings.Contains(events[0].Detail, "template field-check") {
		t.Fatalf("audit %+v, want the request's event to name the template", events)
	}

	// for= replaces the template's duration, within the role.
	r2 := e.request(t, commands.RequestInput{Requester: carol, Template: "field-check", Duration: 2 * time.Hour, Reason: "FT-13"})
	if r2.Duration != 2*time.Hour {
		t.Fatalf("duration %v, want the 2h asked for", r2.Duration)
	}
	_, err := e.svc.Request(ctx, commands.RequestInput{Requester: carol, Template: "field-check", Duration: 48 * time.Hour, Reason: "FT-14"})
	if !errors.Is(err, commands.ErrTooLong) {
		t.Fatalf("48h from the template: got %v, want too long for the role", err)
	}

	// Approved like any request.
	if _, err := e.svc.Approve(ctx, r.ID, ann); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateApproved || got.Template != "field-check" {
		t.Fatalf("after approval: %s template %q", got.State, got.Template)
	}
}

func TestTemplateRequestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		in      commands.RequestInput
		wantErr *commands.Error
		wantMsg string
		field   string
	}{
		{"Unknown", commands.RequestInput{Requester: carol, Template: "nope", Reason: "x"}, commands.ErrInvalid, `no template "nope". Templates: field-check, ops-look.`, commands.FieldTemplate},
		{"OtherRole", commands.RequestInput{Requester: carol, Template: "field-check", Role: "viewer", Reason: "x"}, commands.ErrInvalid, "template field-check is for role field, not viewer", commands.FieldRole},
		{"NotForYou", commands.RequestInput{Requester: carol, Template: "ops-look", Reason: "x"}, commands.ErrNotRequester, "template ops-look is limited to <!subteam^SOPS>", commands.FieldTemplate},
		{"ReasonHint", commands.RequestInput{Requester: carol, Template: "field-check"}, commands.ErrInvalid, "say why you need the token. Name the test run, like FT-12.", commands.FieldReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.Request(context.Background(), tt.in)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("got %v, want code %s with %q", err, tt.wantErr.Code, tt.wantMsg)
			}
			if f := commands.ErrorField(err); f != tt.field {
				t.Errorf("field %q, want %q", f, tt.field)
			}
			if e.store.Count() != 0 {
				t.Fatal("a refused request was stored")
			}
		})
	}
	// A member of the template's group may use it.
	e := newEnv(t)
	if r := e.request(t, commands.RequestInput{Requester: dave, Template: "ops-look"}); r.Role != "viewer" || r.Devices[0].ID != "dev-2" {
		t.Fatalf("dave with ops-look: %+v", r)
	}
	got, err := e.svc.Templates(context.Background(), carol)
	if err != nil || len(got) != 1 || got[0].Name != "field-check" {
		t.Fatalf("Templates(carol) = %v, %v; want field-check only", got, err)
	}
}

// TestTemplateMeetsPolicyChange: a template is a preset, not an authority. A request made
// from one is decided by its role in the policy in force: removing the template while it
// waits changes nothing, narrowing the role stops it like any request.
func TestTemplateMeetsPolicyChange(t *testing.T) {
	ctx := context.Background()
	t.Run("TemplateRemoved", func(t *testing.T) {
		e := newEnv(t)
		r := e.request(t, commands.RequestInput{Requester: carol, Template: "field-check", Reason: "FT-1"})
		delete(e.svc.Policy.Templates, "field-check")
		e.svc.Policy.TemplateOrder = []string{"ops-look"}
		got, err := e.svc.Approve(ctx, r.ID, ann)
		if err != nil || got.State != commands.StateApproved || got.Template != "field-check" {
			t.Fatalf("Approve: %v, %v; want approved, still naming its template", got, err)
		}
		if _, err := e.svc.Request(ctx, commands.RequestInput{Requester: carol, Template: "field-check", Reason: "FT-2"}); !errors.Is(err, commands.ErrInvalid) {
			t.Fatalf("a request from the removed template: %v, want refused", err)
		}
	})
	t.Run("RoleNarrowed", func(t *testing.T) {
		e := newEnv(t)
		r := e.request(t, commands.RequestInput{Requester: carol, Template: "field-check", Reason: "FT-1"})
		e.svc.Policy.Roles["field"].MaxDuration = 2 * time.Hour
		if _, err := e.svc.Approve(ctx, r.ID, ann); err == nil || !strings.Contains(err.Error(), "now allows at most 2h, less than the 4h asked for") {
			t.Fatalf("Approve: %v, want it refused by the narrowed role", err)
		}
	})
}
