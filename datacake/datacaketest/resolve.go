package datacaketest

import (
	"slices"
	"time"
)

// The nodes below resolve the fields of Datacake's types that cakegate uses, plus a few
// neighbours. Any other field is answered with a NOT_IMPLEMENTED error rather than made up.

// dateTime formats a time as Datacake's DateTime scalar does (Python's isoformat).
func dateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000+00:00")
}

// list returns ss as a JSON list, never null.
func list(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return slices.Clone(ss)
}

type queryRoot struct{}

func (queryRoot) typeName() string { return "Query" }

func (queryRoot) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "user":
		return userNode{ex.caller}, nil
	case "allWorkspaces":
		var out []node
		for _, id := range ex.s.workspaceOrder {
			if ex.caller.member(id) {
				out = append(out, workspaceNode{ex.s.workspaces[id]})
			}
		}
		return out, nil
	case "workspace":
		return ex.workspace(args)
	case "allDevices":
		return ex.allDevices(args)
	}
	return nil, notImplemented("Query", name)
}

// workspace resolves Query.workspace(id, slug). A non-member gets NOT_AUTHORIZED, whether
// or not the workspace exists, so that ids cannot be probed.
func (ex *execution) workspace(args map[string]any) (any, error) {
	var w *Workspace
	if id, ok := argString(args, "id"); ok {
		if !ex.caller.member(id) {
			return nil, notAuthorized()
		}
		w = ex.s.workspaces[id]
	} else if slug, ok := argString(args, "slug"); ok {
		for _, id := range ex.s.workspaceOrder {
			if ex.s.workspaces[id].Slug == slug && ex.caller.member(id) {
				w = ex.s.workspaces[id]
			}
		}
	}
	if w == nil {
		return nil, nil
	}
	return workspaceNode{w}, nil
}

// allDevices resolves Query.allDevices. Without inWorkspace it spans every workspace the
// caller belongs to. searchTags matches any of the tags unless searchTagsAnyAll is "all".
func (ex *execution) allDevices(args map[string]any) (any, error) {
	if err := unsupported(args, "Query", "allDevices", "idIn", "inWorkspace", "online", "searchName", "searchTag", "searchTags", "searchTagsAnyAll"); err != nil {
		return nil, err
	}
	var q deviceQuery
	q.search, _ = argString(args, "searchName")
	if t, ok := argString(args, "searchTag"); ok {
		q.allTags = append(q.allTags, t)
	}
	if tags, ok := argStrings(args, "searchTags"); ok {
		if mode, _ := argString(args, "searchTagsAnyAll"); mode == "all" {
			q.allTags = append(q.allTags, tags...)
		} else {
			q.anyTags, q.hasAnyTag = tags, true
		}
	}
	q.ids, q.hasIDs = argStrings(args, "idIn")
	if online, ok := argBool(args, "online"); ok {
		q.online = &online
	}
	workspaces := ex.s.workspaceOrder
	if ws, ok := argString(args, "inWorkspace"); ok {
		if !ex.caller.member(ws) {
			return nil, notAuthorized()
		}
		workspaces = []string{ws}
	}
	out := []node{}
	for _, ws := range workspaces {
		for _, d := range ex.visibleDevices(ws, q) {
			out = append(out, deviceNode{d})
		}
	}
	return out, nil
}

// userNode is a UserType: a person or an API user.
type userNode struct{ p *principal }

func (userNode) typeName() string { return "UserType" }

func (n userNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return n.p.id, nil
	case "email":
		return n.p.email, nil
	case "isApiuser":
		return n.p.apiUser != nil, nil
	case "firstName", "lastName":
		return "", nil
	case "fullName":
		if n.p.apiUser != nil {
			return n.p.apiUser.Name, nil
		}
		return n.p.email, nil
	case "apiKey":
		return nil, nil // whether Datacake shows it again is unknown; cakegate must not rely on it
	}
	return nil, notImplemented("UserType", name)
}

// workspaceNode is a WorkspaceType.
type workspaceNode struct{ w *Workspace }

func (workspaceNode) typeName() string { return "WorkspaceType" }

func (n workspaceNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return n.w.ID, nil
	case "name":
		return n.w.Name, nil
	case "slug":
		return n.w.Slug, nil
	case "myPermissions":
		perms, _ := ex.caller.permissions(n.w.ID)
		return list(perms), nil
	case "deviceCount":
		if err := unsupported(args, "WorkspaceType", name, "search"); err != nil {
			return nil, err
		}
		var q deviceQuery
		q.search, _ = argString(args, "search")
		return len(ex.visibleDevices(n.w.ID, q)), nil
	case "devices":
		if err := unsupported(args, "WorkspaceType", name, "page", "pageSize", "search", "all"); err != nil {
			return nil, err
		}
		var q deviceQuery
		q.search, _ = argString(args, "search")
		return deviceNodes(page(ex.visibleDevices(n.w.ID, q), args)), nil
	case "devicesFiltered":
		return ex.devicesFiltered(n.w.ID, args)
	case "device":
		id, _ := argString(args, "id")
		serial, _ := argString(args, "serialNumber")
		for _, d := range ex.visibleDevices(n.w.ID, deviceQuery{}) {
			if (id != "" && d.ID == id) || (serial != "" && d.Serial == serial) {
				return deviceNode{d}, nil
			}
		}
		if ex.s.faults.missingDelete == MissingDoesNotExist {
			return nil, doesNotExist("Device")
		}
		return nil, nil
	case "allTags":
		tags := []string{}
		for _, d := range ex.visibleDevices(n.w.ID, deviceQuery{}) {
			for _, t := range d.Tags {
				if !slices.Contains(tags, t) {
					tags = append(tags, t)
				}
			}
		}
		return tags, nil
	case "apiUserRelationships":
		if !ex.caller.has(n.w.ID, "members") {
			return nil, notAuthorized()
		}
		out := []node{}
		for _, u := range ex.s.apiUsers {
			if u.Workspace == n.w.ID {
				out = append(out, apiUserRelationshipNode{u})
			}
		}
		return out, nil
	}
	return nil, notImplemented("WorkspaceType", name)
}

// devicesFiltered resolves WorkspaceType.devicesFiltered for search, tags, online and paging.
func (ex *execution) devicesFiltered(ws string, args map[string]any) (any, error) {
	if err := unsupported(args, "WorkspaceType", "devicesFiltered", "page", "pageSize", "search", "all", "tags", "online"); err != nil {
		return nil, err
	}
	var q deviceQuery
	q.search, _ = argString(args, "search")
	if tags, ok := argObject(args, "tags"); ok {
		q.allTags, _ = stringList(tags["contains"])
		q.anyTags, q.hasAnyTag = stringList(tags["overlap"])
	}
	if online, ok := argBool(args, "online"); ok {
		q.online = &online
	}
	matched := ex.visibleDevices(ws, q)
	return filteredDevicesNode{total: len(matched), devices: page(matched, args)}, nil
}

func deviceNodes(ds []*device) []node {
	out := make([]node, len(ds))
	for i, d := range ds {
		out[i] = deviceNode{d}
	}
	return out
}

// filteredDevicesNode is a FilteredDeviceList.
type filteredDevicesNode struct {
	total   int
	devices []*device
}

func (filteredDevicesNode) typeName() string { return "FilteredDeviceList" }

func (n filteredDevicesNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "total":
		return n.total, nil
	case "devices":
		return deviceNodes(n.devices), nil
	}
	return nil, notImplemented("FilteredDeviceList", name)
}

// deviceNode is a DeviceType.
type deviceNode struct{ d *device }

func (deviceNode) typeName() string { return "DeviceType" }

func (n deviceNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return n.d.ID, nil
	case "verboseName":
		return n.d.Name, nil
	case "serialNumber":
		return n.d.Serial, nil
	case "online":
		return n.d.Online, nil
	case "tags":
		return list(n.d.Tags), nil
	case "created":
		return dateTime(n.d.created), nil
	case "lastHeard":
		return nil, nil
	case "location":
		return "", nil
	}
	return nil, notImplemented("DeviceType", name)
}

// apiUserRelationshipNode is an ApiUserWorkspaceRelationshipType.
type apiUserRelationshipNode struct{ u *apiUser }

func (apiUserRelationshipNode) typeName() string { return "ApiUserWorkspaceRelationshipType" }

func (n apiUserRelationshipNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return n.u.RelationshipID, nil
	case "workspace":
		return workspaceNode{ex.s.workspaces[n.u.Workspace]}, nil
	case "permissions":
		return list(n.u.Permissions), nil
	case "user":
		return apiUserNode{u: n.u}, nil
	case "deviceRelationships":
		out := make([]node, len(n.u.Devices))
		for i, g := range n.u.Devices {
			out[i] = deviceRelationshipNode{n.u, g}
		}
		return out, nil
	}
	return nil, notImplemented("ApiUserWorkspaceRelationshipType", name)
}

// apiUserNode is an ApiUserType. Its apiKey is shown only in addApiUser's answer.
type apiUserNode struct {
	u         *apiUser
	revealKey bool
}

func (apiUserNode) typeName() string { return "ApiUserType" }

func (n apiUserNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return n.u.ID, nil
	case "name":
		return n.u.Name, nil
	case "created":
		return dateTime(n.u.Created), nil
	case "apiKey":
		if n.revealKey {
			return n.u.Token, nil
		}
		return nil, nil
	}
	return nil, notImplemented("ApiUserType", name)
}

// deviceRelationshipNode is a UserDeviceRelationshipType of an API user.
type deviceRelationshipNode struct {
	u *apiUser
	g DeviceGrant
}

func (deviceRelationshipNode) typeName() string { return "UserDeviceRelationshipType" }

func (n deviceRelationshipNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return n.g.RelationshipID, nil
	case "user":
		return userNode{n.u.principal}, nil
	case "device":
		if d := ex.s.devices[n.g.Device]; d != nil {
			return deviceNode{d}, nil
		}
		return nil, nil
	case "permissions":
		return list(n.g.Permissions), nil
	case "emailOffline":
		return false, nil
	}
	return nil, notImplemented("UserDeviceRelationshipType", name)
}
