package app

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"

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
	// Serial numbers are looked up one by one (Datacake has no list filter for them), a
	// few at a time, so a request naming many does not wait for each in turn; the client
	// still applies its own rate and concurrency limits.
	var rest []string
	for _, ref := range refs {
		if !found[ref] {
			rest = append(rest, ref)
		}
	}
	results := make([]*datacake.Device, len(rest))
	errs := make([]error, len(rest))
	if a.oneByOne {
		for i, ref := range rest {
			results[i], errs[i] = a.deviceBySerial(ctx, workspace, ref)
		}
	} else {
		sem := make(chan struct{}, serialLookups)
		var wg sync.WaitGroup
		for i, ref := range rest {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				results[i], errs[i] = a.deviceBySerial(ctx, workspace, ref)
			})
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, translate(err)
	}
	for _, d := range results {
		if d != nil {
			out = append(out, deviceOf(*d))
		}
	}
	return out, nil
}

// deviceBySerial finds the device whose serial number is ref: exactly as typed, or else in
// any case (people type "sn-1001" for "SN-1001"), through a search for it. nil: none.
func (a datacakeAdapter) deviceBySerial(ctx context.Context, workspace, ref string) (*datacake.Device, error) {
	d, ok, err := a.client.DeviceBySerial(ctx, workspace, ref)
	if err != nil || ok {
		return &d, err
	}
	page, err := a.client.SearchDevices(ctx, workspace, datacake.DeviceQuery{Search: ref, PageSize: 20})
	if err != nil {
		return nil, err
	}
	for _, d := range page.Devices {
		if strings.EqualFold(d.Serial, ref) {
			return &d, nil
		}
	}
	return nil, nil
}

// serialLookups is how many serial numbers FindDevices looks up at once.
const serialLookups = 4

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
