package commands

import (
	"context"
	"fmt"
	"strings"
)

// RoleInfo describes a role for people choosing one.
type RoleInfo struct {
	Role *Role
	// Grants summarises what the role gives, e.g. "workspace: devices; devices: edit_basics".
	Grants string
}

// Roles returns the roles user may ask for, in policy order.
func (s *Service) Roles(ctx context.Context, user string) ([]RoleInfo, error) {
	var out []RoleInfo
	for _, name := range s.Policy.RoleOrder {
		role := s.Policy.Roles[name]
		if err := s.mayRequest(ctx, user, role); err != nil {
			if ErrorCode(err) == CodeNotRequester {
				continue
			}
			return nil, err
		}
		out = append(out, RoleInfo{Role: role, Grants: DescribeGrants(role.WorkspacePermissions, role.DevicePermissions)})
	}
	return out, nil
}

// DescribeGrants summarises permissions for people.
func DescribeGrants(workspace, device []string) string {
	ws := "view only"
	if len(workspace) > 0 {
		ws = strings.Join(workspace, ", ")
	}
	dev := "view"
	if len(device) > 0 {
		dev = "view, " + strings.Join(device, ", ")
	}
	return fmt.Sprintf("workspace: %s; devices: %s", ws, dev)
}

func (s *Service) roleHint() string {
	if len(s.Policy.RoleOrder) == 0 {
		return "The policy defines no roles."
	}
	return "Roles: " + strings.Join(s.Policy.RoleOrder, ", ") + " (`/cakegate roles` describes them)."
}
