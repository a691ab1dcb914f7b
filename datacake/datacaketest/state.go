package datacaketest

import (
	"fmt"
	"slices"
	"time"
)

// Workspace is a Datacake workspace held by the fake.
type Workspace struct {
	ID   string
	Name string
	Slug string
}

// Device is a device held by the fake. It belongs to one workspace.
type Device struct {
	ID     string // a UUID; AddDevice makes one up when empty
	Name   string // verboseName
	Serial string // serialNumber
	Tags   []string
	Online bool
}

// APIUser is an API user held by the fake, as Datacake's portal would show it.
type APIUser struct {
	ID             string
	RelationshipID string
	Workspace      string
	Name           string
	// Token is the API user's apiKey. The fake hands it out so that tests can check that a
	// token never leaked into logs or storage, and use it against the fake.
	Token       string
	Permissions []string
	Devices     []DeviceGrant
	Created     time.Time
}

// DeviceGrant is one device of an API user with its device permissions.
type DeviceGrant struct {
	RelationshipID string
	Device         string // the device's id
	Permissions    []string
}

// DeviceIDs returns the ids of the API user's devices, in the order they were granted.
func (u APIUser) DeviceIDs() []string {
	ids := make([]string, len(u.Devices))
	for i, d := range u.Devices {
		ids[i] = d.Device
	}
	return ids
}

// principal is whoever a token belongs to: a person added by AddToken, or an API user.
type principal struct {
	id      string
	email   string
	perms   map[string][]string // workspace id → workspace permissions; people only
	apiUser *apiUser            // set for an API user's token
}

// permissions returns the caller's permissions in workspace and whether it is a member.
func (p *principal) permissions(workspace string) ([]string, bool) {
	if p.apiUser != nil {
		if p.apiUser.Workspace != workspace {
			return nil, false
		}
		return p.apiUser.Permissions, true
	}
	perms, ok := p.perms[workspace]
	return perms, ok
}

// has reports whether the caller holds perm in workspace.
func (p *principal) has(workspace, perm string) bool {
	perms, _ := p.permissions(workspace)
	return slices.Contains(perms, perm)
}

// member reports whether the caller belongs to workspace at all.
func (p *principal) member(workspace string) bool {
	_, ok := p.permissions(workspace)
	return ok
}

// apiUser is the fake's record of an API user.
type apiUser struct {
	APIUser
	principal *principal
}

// device is the fake's record of a device.
type device struct {
	Device
	workspace string
	created   time.Time
}

// AddWorkspace adds a workspace, or renames the one with this id.
func (s *Server) AddWorkspace(id, name, slug string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.workspaces[id]; ok {
		w.Name, w.Slug = name, slug
		return
	}
	s.workspaces[id] = &Workspace{ID: id, Name: name, Slug: slug}
	s.workspaceOrder = append(s.workspaceOrder, id)
}

// AddDevice adds d to workspace ws and returns it with its id. It panics if ws was not
// added: that is a mistake in a test's set-up, not something to handle.
func (s *Server) AddDevice(ws string, d Device) Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.workspaces[ws]; !ok {
		panic(fmt.Sprintf("datacaketest: AddDevice: no workspace %q; call AddWorkspace first", ws))
	}
	if d.ID == "" {
		d.ID = s.newUUID()
	}
	d.Tags = slices.Clone(d.Tags)
	if _, ok := s.devices[d.ID]; !ok {
		s.deviceOrder = append(s.deviceOrder, d.ID)
	}
	s.devices[d.ID] = &device{Device: d, workspace: ws, created: s.now()}
	return d
}

// AddToken makes token valid for a person with perms (workspace id → workspace
// permissions; an empty list makes an observer, a missing workspace a non-member) and
// returns the person's user id.
func (s *Server) AddToken(token string, perms map[string][]string) (userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &principal{id: s.newUUID(), perms: map[string][]string{}}
	p.email = fmt.Sprintf("user%d@example.com", len(s.principals)+1)
	for ws, list := range perms {
		p.perms[ws] = slices.Clone(list)
	}
	s.principals[token] = p
	return p.id
}

// APIUsers returns the API users of workspace ws, oldest first.
func (s *Server) APIUsers(ws string) []APIUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []APIUser
	for _, u := range s.apiUsers {
		if u.Workspace == ws {
			out = append(out, u.copy())
		}
	}
	return out
}

// APIUser returns the API user with this id, if it exists.
func (s *Server) APIUser(id string) (APIUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.findAPIUser(id); u != nil {
		return u.copy(), true
	}
	return APIUser{}, false
}

// DeleteAPIUserOutOfBand deletes an API user as someone in Datacake's portal would, and
// reports whether it existed. Its token stops working at once.
func (s *Server) DeleteAPIUserOutOfBand(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteAPIUser(id)
}

// DeletedAPIUsers returns every API user deleted so far (through the API or out of band),
// oldest first, with its token: a test can then prove that a token which was created and
// deleted again never leaked anywhere.
func (s *Server) DeletedAPIUsers() []APIUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]APIUser, len(s.deletedUsers))
	for i, u := range s.deletedUsers {
		out[i] = (&apiUser{APIUser: u}).copy()
	}
	return out
}

// findAPIUser returns the API user with id, or nil. s.mu is held.
func (s *Server) findAPIUser(id string) *apiUser {
	for _, u := range s.apiUsers {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// deleteAPIUser removes an API user and its token. s.mu is held.
func (s *Server) deleteAPIUser(id string) bool {
	i := slices.IndexFunc(s.apiUsers, func(u *apiUser) bool { return u.ID == id })
	if i < 0 {
		return false
	}
	delete(s.principals, s.apiUsers[i].Token)
	s.deletedUsers = append(s.deletedUsers, s.apiUsers[i].copy())
	s.apiUsers = slices.Delete(s.apiUsers, i, i+1)
	return true
}

// copy returns u with its own slices, so that callers cannot race with the server.
func (u *apiUser) copy() APIUser {
	c := u.APIUser
	c.Permissions = slices.Clone(u.Permissions)
	c.Devices = make([]DeviceGrant, len(u.Devices))
	for i, g := range u.Devices {
		g.Permissions = slices.Clone(g.Permissions)
		c.Devices[i] = g
	}
	return c
}
