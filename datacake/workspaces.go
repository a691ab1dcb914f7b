package datacake

import "context"

// Workspace is a Datacake workspace the token is a member of.
type Workspace struct {
	ID   string
	Name string
	Slug string
}

// Workspaces lists the workspaces the token is a member of.
func (c *Client) Workspaces(ctx context.Context) ([]Workspace, error) {
	var out struct {
		AllWorkspaces []*struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Slug string `json:"slug"`
		} `json:"allWorkspaces"`
	}
	if _, err := c.do(ctx, opWorkspaces, nil, &out); err != nil {
		return nil, err
	}
	ws := make([]Workspace, 0, len(out.AllWorkspaces))
	for _, w := range out.AllWorkspaces {
		if w != nil {
			ws = append(ws, Workspace{ID: w.ID, Name: w.Name, Slug: w.Slug})
		}
	}
	return ws, nil
}

// MyPermissions returns the token's workspace permissions in workspace, e.g. "members",
// which cakegate needs to manage API users. An unknown workspace is ErrNotFound.
func (c *Client) MyPermissions(ctx context.Context, workspace string) ([]string, error) {
	var out struct {
		Workspace *struct {
			MyPermissions []string `json:"myPermissions"`
		} `json:"workspace"`
	}
	if _, err := c.do(ctx, opMyPermissions, map[string]any{"id": workspace}, &out); err != nil {
		return nil, err
	}
	if out.Workspace == nil {
		return nil, &PermanentError{Op: opMyPermissions.Name, Message: "no workspace " + workspace, Err: ErrNotFound}
	}
	return nonEmpty(out.Workspace.MyPermissions), nil
}

// nonEmpty returns ss without empty strings (how a null list element decodes), never nil,
// so that callers can compare and range without special cases.
func nonEmpty(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
