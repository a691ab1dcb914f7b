package datacaketest

// AddAPIUserOutOfBand creates an API user in workspace ws as a person in Datacake's portal,
// or another program with its own token (a second cakegate installation), would: cakegate
// did not make it and must never delete it. It panics if ws was not added, a mistake in a
// test's set-up.
func (s *Server) AddAPIUserOutOfBand(ws, name string) APIUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.workspaces[ws] == nil {
		panic("datacaketest: AddAPIUserOutOfBand: no workspace " + ws + "; call AddWorkspace first")
	}
	u := &apiUser{APIUser: APIUser{
		ID:             s.newUUID(),
		RelationshipID: s.newUUID(),
		Workspace:      ws,
		Name:           name,
		Token:          s.newAPIKey(),
		Permissions:    []string{},
		Created:        s.now().UTC(),
	}}
	u.principal = &principal{id: u.ID, email: u.ID + "@api-user.datacake.invalid", apiUser: u}
	s.apiUsers = append(s.apiUsers, u)
	s.principals[u.Token] = u.principal
	return u.copy()
}

// DeletedAPIUsersSince returns the API users deleted after the first n (see
// DeletedAPIUsers), oldest first: a test that watches every deletion reads each once.
func (s *Server) DeletedAPIUsersSince(n int) []APIUser {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		n = 0
	}
	var out []APIUser
	for i := n; i < len(s.deletedUsers); i++ {
		out = append(out, (&apiUser{APIUser: s.deletedUsers[i]}).copy())
	}
	return out
}

// RenameAPIUserOutOfBand renames an API user as someone in Datacake's portal would, and
// reports whether it exists.
func (s *Server) RenameAPIUserOutOfBand(id, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findAPIUser(id)
	if u == nil {
		return false
	}
	u.Name = name
	return true
}
