package commands

import (
	"context"
	"slices"
	"sort"
	"strings"
)

// DeviceChoice is one choice in a device search: a device, or a tag standing for every
// device in scope that carries it.
type DeviceChoice struct {
	Ref   string // what a request names: a device id, or "tag:NAME"
	Label string // what a person reads
}

// MaxDeviceChoices is the most choices a search returns: Slack shows at most 100 options.
const MaxDeviceChoices = 100

// SearchDevices returns the devices and tags of the workspace within role's device scope
// whose name, serial or tag contains query (case-insensitive), tags first, at most
// MaxDeviceChoices. With no role (someone typing before choosing one) it searches what any
// role user may ask for allows. It serves the request form's type-ahead: it asks the
// Service's DeviceDirectory (which main caches) for one page of matches, never for the
// whole workspace.
func (s *Service) SearchDevices(ctx context.Context, user, roleName, query string) ([]DeviceChoice, error) {
	scope, err := s.searchScope(ctx, user, roleName)
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(query)
	f := s.finder()
	search := DeviceSearch{Search: q, Limit: MaxDeviceChoices}
	if !scope.Any {
		search.Tags = scope.Tags
	}
	found, err := f.SearchDevices(ctx, s.Policy.Workspace, search)
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Field: FieldDevices, Message: "Datacake did not answer; try again in a minute.", Err: err}
	}
	all, err := f.DeviceTags(ctx, s.Policy.Workspace)
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Field: FieldDevices, Message: "Datacake did not answer; try again in a minute.", Err: err}
	}
	lower := strings.ToLower(q)
	var devices []DeviceChoice
	for _, d := range found {
		if scope.Allows(d) { // the directory filtered already; this keeps a sloppy one honest
			devices = append(devices, DeviceChoice{Ref: d.ID, Label: d.Label()})
		}
	}
	var tags []DeviceChoice
	for _, t := range all {
		if (scope.Any || slices.Contains(scope.Tags, t)) && strings.Contains(strings.ToLower(t), lower) {
			tags = append(tags, DeviceChoice{Ref: "tag:" + t, Label: "tag: " + t})
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Ref < tags[j].Ref })
	sort.SliceStable(devices, func(i, j int) bool { return strings.ToLower(devices[i].Label) < strings.ToLower(devices[j].Label) })
	out := append(tags, devices...)
	if len(out) > MaxDeviceChoices {
		out = out[:MaxDeviceChoices]
	}
	return out, nil
}

// searchScope is the device scope a search covers: the named role's, after checking user
// may ask for it, or with no role named, every role user may ask for, together.
func (s *Service) searchScope(ctx context.Context, user, roleName string) (DeviceScope, error) {
	if roleName != "" || len(s.Policy.RoleOrder) == 1 {
		role, err := s.chooseRole(roleName)
		if err != nil {
			return DeviceScope{}, err
		}
		if err := s.mayRequest(ctx, user, role); err != nil {
			return DeviceScope{}, err
		}
		return role.Devices, nil
	}
	roles, err := s.Roles(ctx, user)
	if err != nil {
		return DeviceScope{}, err
	}
	if len(roles) == 0 {
		return DeviceScope{}, Errorf(CodeNotRequester, "there is no role you can ask for. Ask whoever runs cakegate to give you one; the approvers know who that is.").about(FieldRole)
	}
	var union DeviceScope
	for _, info := range roles {
		if info.Role.Devices.Any {
			return DeviceScope{Any: true}, nil
		}
		for _, t := range info.Role.Devices.Tags {
			if !slices.Contains(union.Tags, t) {
				union.Tags = append(union.Tags, t)
			}
		}
	}
	return union, nil
}
