package datacake

import "context"

// Device is a Datacake device.
type Device struct {
	ID     string // a UUID
	Name   string // verboseName
	Serial string
	Tags   []string
	Online bool
}

// DeviceFilter narrows Devices. Zero fields do not filter.
type DeviceFilter struct {
	Search string   // part of the name (and, on Datacake's side, possibly the serial number)
	Tags   []string // devices carrying at least one of these tags
	IDs    []string // only these device ids
}

// Devices lists workspace's devices that match f. Datacake does not page this list.
func (c *Client) Devices(ctx context.Context, workspace string, f DeviceFilter) ([]Device, error) {
	vars := map[string]any{"ws": workspace}
	if f.Search != "" {
		vars["search"] = f.Search
	}
	if len(f.Tags) > 0 {
		vars["tags"] = f.Tags
	}
	if len(f.IDs) > 0 {
		vars["ids"] = f.IDs
	}
	var out struct {
		AllDevices []*rawDevice `json:"allDevices"`
	}
	if _, err := c.do(ctx, opDevices, vars, &out); err != nil {
		return nil, err
	}
	return devicesOf(out.AllDevices), nil
}
