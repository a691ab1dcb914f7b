package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RequestInput is what a person asks for, as typed or chosen in the modal.
type RequestInput struct {
	Requester string
	Role      string   // may be empty when the policy has exactly one role
	Devices   []string // serial numbers, Datacake device ids, or "tag:NAME"
	Duration  time.Duration
	Reason    string
	// Template names a preset of the policy that fills in what the input leaves out.
	Template string
	// Start is start= as typed: when the access should start (see ParseStart); "" for as
	// soon as it is approved. Zone is the requester's IANA time zone, from Slack, for
	// starts written without an offset; "" when unknown.
	Start, Zone string
	// Key names the delivery that asked (Slack's trigger id), so that the same delivery
	// twice, a replay or a repeat, makes one request, even across a restart. "" for none.
	Key string
}

// MaxReasonLength bounds a reason, in characters, so it fits an approval message.
const MaxReasonLength = 500

// Request checks input against the policy, resolves the devices it names, stores the
// request as pending and queues the approval message. A role that auto-approves (or is
// break-glass) is provisioned at once.
func (s *Service) Request(ctx context.Context, in RequestInput) (*Request, error) {
	r, err := s.CreateRequest(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.GrantIfAutomatic(ctx, r)
}

// CreateRequest is the first half of Request: it validates input and stores the request as
// pending, without calling Datacake to create anything, so a form can answer at once.
// GrantIfAutomatic is the second half.
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (*Request, error) {
	in, err := s.applyTemplate(ctx, in)
	if err != nil {
		return nil, err
	}
	role, err := s.chooseRole(in.Role)
	if err != nil {
		return nil, err
	}
	if err := s.mayRequest(ctx, in.Requester, role); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeNotRequester {
			e.Field = FieldRole
		}
		return nil, err
	}
	d, err := requestDuration(role, in.Duration)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(in.Reason)
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	if err := checkRoleReason(withTemplateHint(role, s.Policy, in.Template), reason); err != nil {
		return nil, err
	}
	startAt, err := s.requestStart(in)
	if err != nil {
		return nil, err
	}
	devices, err := s.resolveDevices(ctx, role, in.Devices)
	if err != nil {
		return nil, err
	}
	if len(devices) == 0 && len(role.WorkspacePermissions) == 0 {
		return nil, Errorf(CodeInvalid, "role %s grants nothing without devices: name at least one, e.g. devices=SERIAL1,SERIAL2 or devices=tag:NAME.", role.Name).about(FieldDevices)
	}

	now := s.now()
	r := &Request{
		Requester:            in.Requester,
		Workspace:            s.Policy.Workspace,
		Role:                 role.Name,
		WorkspacePermissions: slices.Clone(role.WorkspacePermissions),
		DevicePermissions:    slices.Clone(role.DevicePermissions),
		Devices:              devices,
		Duration:             d,
		Reason:               reason,
		State:                StatePending,
		CreatedAt:            now,
		UpdatedAt:            now,
		ApprovalsNeeded:      max(role.Approvals, 1),
		Key:                  in.Key,
		Template:             in.Template,
		StartAt:              startAt,
	}
	what := fmt.Sprintf("role %s for %s: %s", role.Name, FormatDuration(d), reason)
	if in.Template != "" {
		what = "template " + in.Template + ", " + what
	}
	if !startAt.IsZero() {
		what = "starting " + startAt.UTC().Format(time.RFC3339) + ", " + what
	}
	c := Change{
		Audit:  []AuditEvent{s.event(r, in.Requester, "requested", "", what)},
		Outbox: s.askApprovers(r, role),
	}
	if role.BreakGlass {
		c.Outbox = append(c.Outbox, s.urgent(r, NotifyApprovers, fmt.Sprintf(":rotating_light: Break-glass: %s took role %s for %s without approval. Reason: %s", Mention(in.Requester), Escape(role.Name), FormatDuration(d), Escape(reason))))
	}
	return s.create(ctx, r, c)
}

// create stores r, pending, with c, unless the store refuses it: the same delivery made a
// request already (which is returned instead), its requester has max_open_requests waiting,
// or their account is recorded as deactivated. That last refusal is checked with Slack
// first: a person whose account came back, and whose reactivation cakegate missed, may ask
// again.
func (s *Service) create(ctx context.Context, r *Request, c Change) (*Request, error) {
	rules := CreateRules{MaxPending: s.Policy.maxOpenRequests()}
	err := s.Store.Create(ctx, r, c, rules)
	if errors.Is(err, ErrDeactivated) && s.back(ctx, r.Requester) {
		err = s.Store.Create(ctx, r, c, rules)
	}
	var same *SameDeliveryError
	var capped *PendingCapError
	switch {
	case err == nil:
		return r, nil
	case errors.As(err, &same):
		return s.Store.Get(ctx, same.ID)
	case errors.As(err, &capped):
		return nil, Errorf(CodeNotAllowed, "you already have %d requests waiting for approval, the most one person may have at once. Cancel one (`/cakegate list` shows them) or wait for a decision.", capped.Pending)
	case errors.Is(err, ErrDeactivated):
		return nil, Errorf(CodeNotAllowed, "Slack told cakegate that your account was deactivated, so it takes no requests from it. If your account is active again, try again in a few minutes; if this persists, ask an approver (%s).", mentions(s.Policy.Approvers))
	}
	return nil, fmt.Errorf("store request: %w", err)
}

// GrantIfAutomatic approves a pending request at once (its requester then reveals it) if its
// role auto-approves or is break-glass, or if its role's on-call rule covers its requester
// (which asks Slack, so it runs outside any answer Slack waits for), and returns r
// unchanged otherwise.
func (s *Service) GrantIfAutomatic(ctx context.Context, r *Request) (*Request, error) {
	role, ok := s.Policy.Role(r.Role)
	switch {
	case !ok || r.State != StatePending:
		return r, nil
	case role.AutoApprove || role.BreakGlass:
		return s.grantWithoutApproval(ctx, r.ID, role)
	case role.OnCall != nil && r.StartAt.IsZero():
		// The rule is for who is on call now, for access now: a request that starts later
		// waits for approvers, since whoever holds the pager today may not then.
		return s.approveOnCall(ctx, r, role)
	}
	return r, nil
}

// grantWithoutApproval moves a request of an auto-approving role straight to approved.
func (s *Service) grantWithoutApproval(ctx context.Context, id RequestID, role *Role) (*Request, error) {
	how := "auto-approved"
	if role.BreakGlass {
		how = "break-glass"
	}
	return s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		from := r.State
		reveal, err := s.approve(r, Actor, s.now())
		if err != nil {
			return Change{}, err
		}
		return Change{
			Audit:  []AuditEvent{s.event(r, Actor, "approved", from, how+" by role "+role.Name)},
			Outbox: []Notification{s.notify(r, NotifyApprovalUpdate, ""), reveal},
		}, nil
	})
}

func (s *Service) chooseRole(name string) (*Role, error) {
	if name == "" {
		if len(s.Policy.RoleOrder) == 1 {
			return s.Policy.Roles[s.Policy.RoleOrder[0]], nil
		}
		return nil, Errorf(CodeInvalid, "which role? Add role=NAME. %s", s.roleHint()).about(FieldRole)
	}
	return s.role(name)
}

func requestDuration(role *Role, d time.Duration) (time.Duration, error) {
	if d == 0 {
		return role.DefaultDuration, nil
	}
	if d < time.Minute {
		return 0, Errorf(CodeInvalid, "%s is too short: ask for at least a minute.", FormatDuration(d)).about(FieldDuration)
	}
	if d > role.MaxDuration {
		return 0, Errorf(CodeTooLong, "role %s can be granted for at most %s; ask for %s or less.", role.Name, FormatDuration(role.MaxDuration), FormatDuration(role.MaxDuration)).about(FieldDuration)
	}
	return d, nil
}

// askApprovers queues the approval message where the role's notify_approvers says: in its
// approvals channel, by direct message to each approver, or both. A role that needs no
// approver is only announced in the channel.
func (s *Service) askApprovers(r *Request, role *Role) []Notification {
	mode := s.Policy.NotifyModeOf(role)
	if role.AutoApprove || role.BreakGlass {
		mode = NotifyChannel
	}
	var out []Notification
	if mode.InChannel() {
		out = append(out, s.notify(r, NotifyApprovalRequest, ""))
	}
	if mode.ByDM() {
		out = append(out, s.approverDMs(r, s.Policy.ApproversOf(role))...)
	}
	return out
}
