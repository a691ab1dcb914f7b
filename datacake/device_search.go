package datacake

import (
	"context"
	"errors"
	"fmt"
)

// A large workspace is never listed whole: Devices without a filter answers every device
// at once (allDevices has no paging), which with tens of thousands of devices passes the
// client's response limit. These ask Datacake for the few devices wanted.

// DeviceQuery is one page of a device search. Zero fields do not filter.
type DeviceQuery struct {
	Search   string   // part of the name or serial number
	Tags     []string // devices carrying at least one of these tags
	Page     int      // from 1; 0 means 1
	PageSize int      // 0 means 100
}

// DevicePage is one page of devices and how many match in all.
type DevicePage struct {
	Devices []Device
	Total   int
}

// SearchDevices returns one page of workspace's devices matching q
// (WorkspaceType.devicesFiltered).
func (c *Client) SearchDevices(ctx context.Context, workspace string, q DeviceQuery) (DevicePage, error) {
	page, size := q.Page, q.PageSize
	if page < 1 {
		page = 1
	}
	if size < 1 {
		size = 100
	}
	vars := map[string]any{"ws": workspace, "page": page, "size": size}
	if q.Search != "" {
		vars["search"] = q.Search
	}
	if len(q.Tags) > 0 {
		vars["tags"] = map[string]any{"overlap": q.Tags}
	}
	var out struct {
		Workspace *struct {
			DevicesFiltered *struct {
				Total   int          `json:"total"`
				Devices []*rawDevice `json:"devices"`
			} `json:"devicesFiltered"`
		} `json:"workspace"`
	}
	if _, err := c.do(ctx, opSearchDevices, vars, &out); err != nil {
		return DevicePage{}, err
	}
	if out.Workspace == nil || out.Workspace.DevicesFiltered == nil {
		return DevicePage{}, &PermanentError{Op: opSearchDevices.Name, Message: fmt.Sprintf("workspace %s answered no device list", workspace)}
	}
	f := out.Workspace.DevicesFiltered
	return DevicePage{Devices: devicesOf(f.Devices), Total: f.Total}, nil
}

// DeviceBySerial returns workspace's device with this serial number, and false if there is
// none (WorkspaceType.device).
func (c *Client) DeviceBySerial(ctx context.Context, workspace, serial string) (Device, bool, error) {
	var out struct {
		Workspace *struct {
			Device *rawDevice `json:"device"`
		} `json:"workspace"`
	}
	if _, err := c.do(ctx, opDeviceBySerial, map[string]any{"ws": workspace, "serial": serial}, &out); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Device{}, false, nil // Django's "Device matching query does not exist."
		}
		return Device{}, false, err
	}
	if out.Workspace == nil || out.Workspace.Device == nil {
		return Device{}, false, nil
	}
	return out.Workspace.Device.device(), true, nil
}

// DeviceTags returns every tag on workspace's devices (WorkspaceType.allTags).
func (c *Client) DeviceTags(ctx context.Context, workspace string) ([]string, error) {
	var out struct {
		Workspace *struct {
			AllTags []string `json:"allTags"`
		} `json:"workspace"`
	}
	if _, err := c.do(ctx, opDeviceTags, map[string]any{"ws": workspace}, &out); err != nil {
		return nil, err
	}
	if out.Workspace == nil {
		return nil, nil
	}
	return nonEmpty(out.Workspace.AllTags), nil
}

// rawDevice is a DeviceType as the operations ask for it.
type rawDevice struct {
	ID           string   `json:"id"`
	VerboseName  string   `json:"verboseName"`
	SerialNumber string   `json:"serialNumber"`
	Tags         []string `json:"tags"`
	Online       bool     `json:"online"`
}

func (d *rawDevice) device() Device {
	return Device{ID: d.ID, Name: d.VerboseName, Serial: d.SerialNumber, Tags: nonEmpty(d.Tags), Online: d.Online}
}

func devicesOf(raw []*rawDevice) []Device {
	out := make([]Device, 0, len(raw))
	for _, d := range raw {
		if d != nil {
			out = append(out, d.device())
		}
	}
	return out
}
