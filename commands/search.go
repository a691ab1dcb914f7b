package commands

import (
	"context"
	"fmt"
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
// MaxDeviceChoices. It serves the request form's type-ahead, so it reads the device list
// through the Service's DeviceDirectory, which main caches.
func (s *Service) SearchDevices(ctx context.Context, user, roleName, query string) ([]DeviceChoice, error) {
	role, err := s.chooseRole(roleName)
	if err != nil {
		return nil, err
	}
	if err := s.mayRequest(ctx, user, role); err != nil {
		return nil, err
	}
	all, err := s.Devices.Devices(ctx, s.Policy.Workspace)
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Field: FieldDevices, Message: "Datacake did not answer; try again in a moment.", Err: err}
	}
	q := strings.ToLower(strings.TrimSpace(query))
	match := func(s string) bool { return q == "" || strings.Contains(strings.ToLower(s), q) }

	tagCount := map[string]int{}
	var devices []DeviceChoice
	for _, d := range all {
		if !role.Devices.Allows(d) {
			continue
		}
		for _, t := range d.Tags {
			tagCount[t]++
		}
		if match(d.Name) || match(d.Serial) {
			devices = append(devices, DeviceChoice{Ref: d.ID, Label: d.Label()})
		}
	}
	var tags []DeviceChoice
	for t, n := range tagCount {
		// Counted only from devices in scope, so every tag here stands for some of them.
		if match(t) {
			tags = append(tags, DeviceChoice{Ref: "tag:" + t, Label: fmt.Sprintf("tag: %s (%d devices)", t, n)})
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
