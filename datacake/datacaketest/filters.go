package datacaketest

import (
	"slices"
	"strings"
)

// deviceQuery is a device filter, built from the arguments of allDevices, devices or
// devicesFiltered.
type deviceQuery struct {
	search    string   // part of the name or serial number, any case
	allTags   []string // the device carries every one
	anyTags   []string // the device carries at least one
	ids       []string
	online    *bool
	hasIDs    bool
	hasAnyTag bool
}

func (q deviceQuery) match(d *device) bool {
	if q.search != "" {
		s := strings.ToLower(q.search)
		if !strings.Contains(strings.ToLower(d.Name), s) && !strings.Contains(strings.ToLower(d.Serial), s) {
			return false
		}
	}
	for _, t := range q.allTags {
		if !slices.Contains(d.Tags, t) {
			return false
		}
	}
	if q.hasAnyTag && !slices.ContainsFunc(q.anyTags, func(t string) bool { return slices.Contains(d.Tags, t) }) {
		return false
	}
	if q.hasIDs && !slices.Contains(q.ids, d.ID) {
		return false
	}
	if q.online != nil && d.Online != *q.online {
		return false
	}
	return true
}

// visibleDevices returns the devices of workspace ws the caller may see, filtered by q, in
// the order they were added. A person sees every device of a workspace they belong to; an
// API user only the devices it was granted. s.mu is held.
func (ex *execution) visibleDevices(ws string, q deviceQuery) []*device {
	if !ex.caller.member(ws) {
		return nil
	}
	var granted map[string]bool
	if u := ex.caller.apiUser; u != nil {
		granted = map[string]bool{}
		for _, g := range u.Devices {
			granted[g.Device] = true
		}
	}
	var out []*device
	for _, id := range ex.s.deviceOrder {
		d := ex.s.devices[id]
		if d.workspace == ws && (granted == nil || granted[id]) && q.match(d) {
			out = append(out, d)
		}
	}
	return out
}

// page returns page number p (from 1) of size n of list, or all of it when all is set.
func page[T any](list []T, args map[string]any) []T {
	if all, _ := argBool(args, "all"); all {
		return list
	}
	p, ok := argInt(args, "page")
	if !ok || p < 1 {
		p = 1
	}
	n, ok := argInt(args, "pageSize")
	if !ok || n < 1 {
		n = 20
	}
	start := min((p-1)*n, len(list))
	return list[start:min(start+n, len(list))]
}
