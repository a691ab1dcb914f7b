package commands

import (
	"context"
	"slices"
	"strings"
)

// ListFinder answers a DeviceFinder's questions from a DeviceDirectory's whole list: for a
// small workspace, a test, or a directory that cannot filter. It is what the Service falls
// back to when its DeviceDirectory is not a DeviceFinder.
type ListFinder struct {
	Directory DeviceDirectory
}

// FindDevices implements DeviceFinder.
func (l ListFinder) FindDevices(ctx context.Context, workspace string, refs []string) ([]Device, error) {
	all, err := l.Directory.Devices(ctx, workspace)
	if err != nil {
		return nil, err
	}
	var out []Device
	for _, d := range all {
		if slices.ContainsFunc(refs, func(ref string) bool { return namesDevice(ref, d) }) {
			out = append(out, d)
		}
	}
	return out, nil
}

// SearchDevices implements DeviceFinder.
func (l ListFinder) SearchDevices(ctx context.Context, workspace string, q DeviceSearch) ([]Device, error) {
	all, err := l.Directory.Devices(ctx, workspace)
	if err != nil {
		return nil, err
	}
	search := strings.ToLower(q.Search)
	var out []Device
	for _, d := range all {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if len(q.Tags) > 0 && !slices.ContainsFunc(d.Tags, func(t string) bool { return slices.Contains(q.Tags, t) }) {
			continue
		}
		if search == "" || strings.Contains(strings.ToLower(d.Name), search) || strings.Contains(strings.ToLower(d.Serial), search) {
			out = append(out, d)
		}
	}
	return out, nil
}

// DeviceTags implements DeviceFinder.
func (l ListFinder) DeviceTags(ctx context.Context, workspace string) ([]string, error) {
	all, err := l.Directory.Devices(ctx, workspace)
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, d := range all {
		for _, t := range d.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	return tags, nil
}

// namesDevice reports whether ref, as a requester typed it, names d: its Datacake id, or
// its serial number in any case.
func namesDevice(ref string, d Device) bool {
	return d.ID == ref || strings.EqualFold(d.Serial, ref)
}

// finder is the Service's DeviceDirectory as a DeviceFinder.
func (s *Service) finder() DeviceFinder {
	if f, ok := s.Devices.(DeviceFinder); ok {
		return f
	}
	return ListFinder{Directory: s.Devices}
}
