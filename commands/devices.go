package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxDevices bounds how many devices one request may name, so approval messages and
// Datacake calls stay a sensible size.
const MaxDevices = 100

// resolveDevices turns what the requester typed (serials, device ids, tag:NAME) into the
// workspace's devices, each checked against the role's device scope.
func (s *Service) resolveDevices(ctx context.Context, role *Role, refs []string) ([]Device, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	all, err := s.Devices.Devices(ctx, s.Policy.Workspace)
	if err != nil {
		return nil, &Error{Code: CodeUnavailable, Field: FieldDevices, Message: "cakegate could not list the workspace's devices in Datacake just now; please try again in a minute.", Err: fmt.Errorf("list devices: %w", err)}
	}
	var out []Device
	seen := map[string]bool{}
	add := func(d Device) {
		if !seen[d.ID] {
			seen[d.ID] = true
			out = append(out, d)
		}
	}
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			continue
		}
		if tag, ok := strings.CutPrefix(ref, "tag:"); ok {
			n := 0
			for _, d := range all {
				if slices.Contains(d.Tags, tag) && role.Devices.Allows(d) {
					add(d)
					n++
				}
			}
			if n == 0 {
				return nil, Errorf(CodeUnknownDevice, "no device tagged %s is open to role %s (%s).", Escape(strconv.Quote(tag)), Escape(role.Name), Escape(role.Devices.String())).about(FieldDevices)
			}
			continue
		}
		d, ok := findDevice(all, ref)
		if !ok {
			return nil, Errorf(CodeUnknownDevice, "there is no device %s in the workspace: name devices by serial number or Datacake device id.", Escape(strconv.Quote(ref))).about(FieldDevices)
		}
		if !role.Devices.Allows(d) {
			return nil, Errorf(CodeDeviceOutOfScope, "device %s is outside role %s's scope (%s); choose another device or role.", Escape(d.Label()), Escape(role.Name), Escape(role.Devices.String())).about(FieldDevices)
		}
		add(d)
	}
	if len(out) > MaxDevices {
		return nil, Errorf(CodeInvalid, "that is %d devices; one request may name at most %d.", len(out), MaxDevices).about(FieldDevices)
	}
	return out, nil
}

func findDevice(all []Device, ref string) (Device, bool) {
	for _, d := range all {
		if d.ID == ref || strings.EqualFold(d.Serial, ref) {
			return d, true
		}
	}
	return Device{}, false
}
