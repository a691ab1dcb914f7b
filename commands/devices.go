package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// MaxDevices bounds how many devices one request may name, so approval messages and
// Datacake calls stay a sensible size.
const MaxDevices = 100

// resolveDevices turns what the requester typed (serials, device ids, tag:NAME) into the
// workspace's devices, each checked against the role's device scope. It asks Datacake for
// the devices named (by id, serial or tag), never for the whole workspace.
func (s *Service) resolveDevices(ctx context.Context, role *Role, refs []string) ([]Device, error) {
	var plain []string
	tagged := map[string][]Device{}
	f := s.finder()
	for i, ref := range refs {
		ref = strings.TrimSpace(ref)
		refs[i] = ref
		if ref == "" {
			continue
		}
		if tag, ok := strings.CutPrefix(ref, "tag:"); ok {
			if _, done := tagged[tag]; done {
				continue
			}
			devices, err := f.SearchDevices(ctx, s.Policy.Workspace, DeviceSearch{Tags: []string{tag}, Limit: MaxDevices + 1})
			if err != nil {
				return nil, devicesUnavailable(err)
			}
			tagged[tag] = devices
			continue
		}
		plain = append(plain, ref)
	}
	var named []Device
	if len(plain) > 0 {
		var err error
		if named, err = f.FindDevices(ctx, s.Policy.Workspace, plain); err != nil {
			return nil, devicesUnavailable(err)
		}
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
		if ref == "" {
			continue
		}
		if tag, ok := strings.CutPrefix(ref, "tag:"); ok {
			n := 0
			for _, d := range tagged[tag] {
				if role.Devices.Allows(d) {
					add(d)
					n++
				}
			}
			if n == 0 {
				return nil, Errorf(CodeUnknownDevice, "no device tagged %s is open to role %s (%s).", Escape(strconv.Quote(tag)), Escape(role.Name), Escape(role.Devices.String())).about(FieldDevices)
			}
			continue
		}
		d, ok := findDevice(named, ref)
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

// devicesUnavailable is the refusal when Datacake cannot be asked about devices.
func devicesUnavailable(err error) error {
	return &Error{Code: CodeUnavailable, Field: FieldDevices, Message: "cakegate could not list the workspace's devices in Datacake just now; try again in a minute.", Err: fmt.Errorf("look up devices: %w", err)}
}

func findDevice(devices []Device, ref string) (Device, bool) {
	for _, d := range devices {
		if d.ID == ref {
			return d, true
		}
	}
	for _, d := range devices {
		if namesDevice(ref, d) {
			return d, true
		}
	}
	return Device{}, false
}
