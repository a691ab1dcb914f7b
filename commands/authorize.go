package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// isGroup reports whether a policy entry names a Slack user group rather than a user.
func isGroup(id string) bool { return strings.HasPrefix(id, "S") }

// inList reports whether user is listed directly or through one of the listed user groups.
func (s *Service) inList(ctx context.Context, list []string, user string) (bool, error) {
	if slices.Contains(list, user) {
		return true, nil
	}
	for _, id := range list {
		if !isGroup(id) || s.Groups == nil {
			continue
		}
		ok, err := s.Groups.IsMember(ctx, id, user)
		if err != nil {
			return false, &Error{Code: CodeUnavailable, Message: "cakegate could not check Slack user group membership just now; try again in a minute.", Err: fmt.Errorf("user group %s: %w", id, err)}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// mayRequest checks that user may ask for role.
func (s *Service) mayRequest(ctx context.Context, user string, role *Role) error {
	if !s.Policy.AllRequesters {
		ok, err := s.inList(ctx, s.Policy.Requesters, user)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(CodeNotRequester, "you are not on cakegate's list of requesters. Ask whoever runs cakegate to add you; the approvers (%s) know who that is.", mentions(s.Policy.Approvers))
		}
	}
	if len(role.Requesters) > 0 {
		ok, err := s.inList(ctx, role.Requesters, user)
		if err != nil {
			return err
		}
		if !ok {
			return Errorf(CodeNotRequester, "role %s is limited to %s. `/cakegate roles` lists the roles you can ask for.", role.Name, mentions(role.Requesters))
		}
	}
	return nil
}

// Approves reports whether user may approve requests for the named role: its own approvers,
// or the policy's for a role that names none. Nobody approves a role that has left the
// policy.
func (s *Service) Approves(ctx context.Context, user, roleName string) (bool, error) {
	role, ok := s.Policy.Role(roleName)
	if !ok {
		return false, nil
	}
	return s.isApprover(ctx, user, role)
}

// isApprover reports whether user may approve requests for role.
func (s *Service) isApprover(ctx context.Context, user string, role *Role) (bool, error) {
	return s.inList(ctx, s.Policy.ApproversOf(role), user)
}

// requireApprover refuses a user who may not decide on r: the approvers that count are
// those of r's role in the current policy, never a fallback, so a role that has left the
// policy has none.
func (s *Service) requireApprover(ctx context.Context, user string, r *Request) (*Role, error) {
	role, found := s.Policy.Role(r.Role)
	if !found {
		return nil, Errorf(CodeUnknownRole, "role %s is no longer in cakegate's policy, so nobody can decide on %s.", r.Role, r.ID)
	}
	// Those a request was escalated to decide on it like its role's approvers.
	deciders := s.deciders(r, role)
	ok, err := s.inList(ctx, deciders, user)
	if err != nil {
		return role, err
	}
	if !ok {
		return role, Errorf(CodeNotApprover, "only the approvers of role %s (%s) can decide on %s.", r.Role, mentions(deciders), r.ID)
	}
	return role, nil
}

// mayDecideOwn reports whether the policy lets a requester approve their own request.
func (s *Service) mayDecideOwn() bool { return s.Policy.AllowSelfApproval }

// Mention formats a Slack user or user group id so Slack shows it as a name.
func Mention(id string) string {
	if isGroup(id) {
		return "<!subteam^" + id + ">"
	}
	return "<@" + id + ">"
}

func mentions(ids []string) string {
	if len(ids) == 0 {
		return "nobody"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Mention(id)
	}
	return strings.Join(out, ", ")
}
