package datacaketest

import "slices"

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutations" }

func (mutationRoot) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "addApiUser":
		input, _ := argObject(args, "input")
		return ex.addAPIUser(input)
	case "deleteApiUser":
		id, _ := argString(args, "id")
		return ex.deleteAPIUser(id)
	}
	return nil, notImplemented("Mutations", name)
}

// addAPIUser creates an API user with a fresh token. The caller needs "members" in the
// workspace, and every device must belong to it. Failures are top-level errors, since
// AddApiUser has no error field.
func (ex *execution) addAPIUser(input map[string]any) (any, error) {
	ws, _ := input["workspace"].(string)
	name, _ := input["name"].(string)
	if !ex.caller.has(ws, "members") {
		return nil, notAuthorized()
	}
	if ex.s.workspaces[ws] == nil {
		return nil, notFound("Workspace matching query does not exist.")
	}
	perms, _ := stringList(input["wsPermissions"])
	u := &apiUser{APIUser: APIUser{
		ID:             ex.s.newUUID(),
		RelationshipID: ex.s.newUUID(),
		Workspace:      ws,
		Name:           name,
		Token:          ex.s.newAPIKey(),
		Permissions:    dedupe(perms),
		Created:        ex.s.now().UTC(),
	}}
	rels, _ := input["deviceRelationships"].([]any)
	for _, r := range rels {
		rel, _ := r.(map[string]any)
		id, _ := rel["device"].(string)
		if d := ex.s.devices[id]; d == nil || d.workspace != ws {
			return nil, notFound("Device matching query does not exist.")
		}
		devPerms, _ := stringList(rel["permissions"])
		u.Devices = append(u.Devices, DeviceGrant{RelationshipID: ex.s.newUUID(), Device: id, Permissions: dedupe(devPerms)})
	}
	u.principal = &principal{id: u.ID, email: u.ID + "@api-user.datacake.invalid", apiUser: u}
	ex.s.apiUsers = append(ex.s.apiUsers, u)
	ex.s.principals[u.Token] = u.principal
	if ex.s.faults.dropCreate {
		ex.s.faults.dropCreate = false
		ex.drop = true
	}
	return addAPIUserNode{u}, nil
}

// deleteAPIUser deletes an API user by its id. An unknown id answers ok: false, or
// Django's "does not exist" error if the test asked for that (AnswerMissingDeletes).
func (ex *execution) deleteAPIUser(id string) (any, error) {
	u := ex.s.findAPIUser(id)
	if u == nil {
		if ex.s.faults.missingDelete == MissingDoesNotExist {
			return nil, doesNotExist("User")
		}
		return okNode{"DeleteApiUser", false}, nil
	}
	if !ex.caller.has(u.Workspace, "members") {
		return nil, notAuthorized()
	}
	return okNode{"DeleteApiUser", ex.s.deleteAPIUser(id)}, nil
}

func dedupe(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// addAPIUserNode is the AddApiUser payload: the one place the token is shown.
type addAPIUserNode struct{ u *apiUser }

func (addAPIUserNode) typeName() string { return "AddApiUser" }

func (n addAPIUserNode) field(ex *execution, name string, args map[string]any) (any, error) {
	switch name {
	case "ok":
		return true, nil
	case "workspace":
		return workspaceNode{ex.s.workspaces[n.u.Workspace]}, nil
	case "apiUser":
		return apiUserNode{u: n.u, revealKey: true}, nil
	}
	return nil, notImplemented("AddApiUser", name)
}

// okNode is a payload with only an ok field.
type okNode struct {
	typ string
	ok  bool
}

func (n okNode) typeName() string { return n.typ }

func (n okNode) field(ex *execution, name string, args map[string]any) (any, error) {
	if name == "ok" {
		return n.ok, nil
	}
	return nil, notImplemented(n.typ, name)
}
