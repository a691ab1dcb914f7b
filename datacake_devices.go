package main

import (
	"context"
	"regexp"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// The adapter is a commands.DeviceFinder: requests and searches ask Datacake for the
// devices wanted with its filters and paging, never for the whole workspace (allDevices
// is not paged, and a workspace of ~60,000 devices passes the client's response limit).

// uuidPattern matches a Datacake device id; allDevices(idIn:) refuses anything else.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// FindDevices implements commands.DeviceFinder: ids in one allDevices(idIn:) call, then
// each ref not found so by its serial number (WorkspaceType.device).
func (a datacakeAdapter) FindDevices(ctx context.Context, workspace string, refs []string) ([]commands.Device, error) {
	var ids []string
	for _, ref := range refs {
		if uuidPattern.MatchString(ref) {
			ids = append(ids, ref)
		}
	}
	var out []commands.Device
	found := map[string]bool{}
	if len(ids) > 0 {
		devices, err := a.client.Devices(ctx, workspace, datacake.DeviceFilter{IDs: ids})
		if err != nil {
			return nil, translate(err)
		}
		for _, d := range devices {
			out = append(out, deviceOf(d))
			found[d.ID] = true
		}
	}
	for _, ref := range refs {
		if found[ref] {
			continue
		}
		d, ok, err := a.client.DeviceBySerial(ctx, workspace, ref)
		if err != nil {
			return nil, translate(err)
		}
		if ok {
			out = append(out, deviceOf(d))
		}
	}
	return out, nil
}

// SearchDevices implements commands.DeviceFinder with one page of devicesFiltered.
func (a datacakeAdapter) SearchDevices(ctx context.Context, workspace string, q commands.DeviceSearch) ([]commands.Device, error) {
	page, err := a.client.SearchDevices(ctx, workspace, datacake.DeviceQuery{Search: q.Search, Tags: q.Tags, Page: 1, PageSize: q.Limit})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]commands.Device, len(page.Devices))
	for i, d := range page.Devices {
		out[i] = deviceOf(d)
	}
	return out, nil
}

// DeviceTags implements commands.DeviceFinder.
func (a datacakeAdapter) DeviceTags(ctx context.Context, workspace string) ([]string, error) {
	tags, err := a.client.DeviceTags(ctx, workspace)
	return tags, translate(err)
}

func deviceOf(d datacake.Device) commands.Device {
	return commands.Device{ID: d.ID, Name: d.Name, Serial: d.Serial, Tags: d.Tags}
}
