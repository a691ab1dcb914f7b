package commands

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Template is a named preset of a request: a role, and optionally devices, a duration and a
// hint of what the reason should say. It never widens its role: the policy refuses one whose
// duration or device tags its role does not allow, and a request made from it is checked
// against the role like any other.
type Template struct {
	Name string
	Role string
	// Devices are as a request names them: serials, Datacake device ids, or "tag:NAME".
	// Empty leaves the choice to the requester.
	Devices []string
	// Duration is how long the token lives; 0 means the role's default.
	Duration time.Duration
	// ReasonHint says what a good reason for this preset looks like; shown in the form.
	ReasonHint string
	// Requesters, when not empty, narrows who may use the template (the role's own rules
	// apply as well).
	Requesters []string
}

// Template returns the named template.
func (p *Policy) Template(name string) (*Template, bool) {
	t, ok := p.Templates[name]
	return t, ok
}

// Templates returns the templates user may use, in policy order: those whose requesters
// (if any) include user, of roles user may ask for.
func (s *Service) Templates(ctx context.Context, user string) ([]*Template, error) {
	var out []*Template
	for _, name := range s.Policy.TemplateOrder {
		t := s.Policy.Templates[name]
		if err := s.mayUseTemplate(ctx, user, t); err != nil {
			if ErrorCode(err) == CodeNotRequester || ErrorCode(err) == CodeUnknownRole {
				continue
			}
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// mayUseTemplate checks that user may use t: its own requesters, then its role's.
func (s *Service) mayUseTemplate(ctx context.Context, user string, t *Template) error {
	if len(t.Requesters) > 0 {
		ok, err := s.inList(ctx, t.Requesters, user)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(CodeNotRequester, "template %s is limited to %s. `/cakegate roles` lists what you can ask for.", Escape(t.Name), mentions(t.Requesters)).about(FieldTemplate)
		}
	}
	role, err := s.role(t.Role)
	if err != nil {
		return err
	}
	return s.mayRequest(ctx, user, role)
}

// applyTemplate fills in what in leaves out from the template it names, after checking
// that the requester may use it. A role named beside the template must be the template's.
func (s *Service) applyTemplate(ctx context.Context, in RequestInput) (RequestInput, error) {
	if in.Template == "" {
		return in, nil
	}
	t, ok := s.Policy.Template(in.Template)
	if !ok {
		return in, Errorf(CodeInvalid, "there is no template %s. %s", Escape(strconv.Quote(in.Template)), s.templateHint()).about(FieldTemplate)
	}
	if in.Role != "" && in.Role != t.Role {
		return in, Errorf(CodeInvalid, "template %s is for role %s, not %s: leave out role= or choose another template.", Escape(t.Name), Escape(t.Role), Escape(in.Role)).about(FieldRole)
	}
	if err := s.mayUseTemplate(ctx, in.Requester, t); err != nil {
		return in, err
	}
	in.Role = t.Role
	if len(in.Devices) == 0 {
		in.Devices = append([]string(nil), t.Devices...)
	}
	if in.Duration == 0 {
		in.Duration = t.Duration
	}
	return in, nil
}

func (s *Service) templateHint() string {
	if len(s.Policy.TemplateOrder) == 0 {
		return "The policy defines no templates; ask with role= instead."
	}
	return "Templates: " + strings.Join(s.Policy.TemplateOrder, ", ") + "."
}

// withTemplateHint returns role with the reason hint of the named template, if it has one,
// so a refusal for a missing reason says what this preset's reason should say.
func withTemplateHint(role *Role, pol *Policy, name string) *Role {
	t, ok := pol.Template(name)
	if !ok || t.ReasonHint == "" {
		return role
	}
	c := *role
	c.Reason.Hint = t.ReasonHint
	return &c
}

// TemplateDevices resolves the devices template name gives as a request from it resolves
// them: each must exist in the workspace and be open to the template's role. check-config
// asks it, so a template whose device was renamed or removed is found before someone
// clicks it. A template that leaves the devices to the requester gives none.
func (s *Service) TemplateDevices(ctx context.Context, name string) ([]Device, error) {
	t, ok := s.Policy.Template(name)
	if !ok {
		return nil, Errorf(CodeNotFound, "there is no template %s.", Escape(strconv.Quote(name)))
	}
	role, ok := s.Policy.Role(t.Role)
	if !ok {
		return nil, Errorf(CodeUnknownRole, "template %s names role %s, which the policy does not have.", Escape(name), Escape(t.Role))
	}
	if len(t.Devices) == 0 {
		return nil, nil
	}
	return s.resolveDevices(ctx, role, slices.Clone(t.Devices))
}
