package datacake

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// CreateAPIUserInput is an API user to create: exactly the permissions and devices it gets.
type CreateAPIUserInput struct {
	Workspace            string
	Name                 string
	WorkspacePermissions []string // e.g. "devices"; empty makes an observer
	Devices              []DevicePermission
}

// DevicePermission is one device an API user may see, and what else it may do to it.
type DevicePermission struct {
	Device      string   // the device's id
	Permissions []string // e.g. "edit_basics"; empty means view only
}

// CreatedAPIUser is a new API user with its token.
//
// Token is a secret: show it to its requester once and store, log or quote it nowhere.
// String, GoString and LogValue leave it out so that printing the struct cannot leak it.
type CreatedAPIUser struct {
	ID      string
	Name    string
	Token   string // the API user's apiKey; secret
	Created time.Time
}

// String describes u without its token.
func (u CreatedAPIUser) String() string {
	return "datacake.CreatedAPIUser{ID: " + u.ID + ", Name: " + u.Name + ", Token: [redacted]}"
}

// GoString hides the token from %#v.
func (u CreatedAPIUser) GoString() string { return u.String() }

// LogValue hides the token from log/slog.
func (u CreatedAPIUser) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", u.ID), slog.String("name", u.Name), slog.String("token", "[redacted]"))
}

// CreateAPIUser creates an API user in a workspace; the token needs "members" there.
//
// The create is retried only after failures that prove it did not happen (HTTP 429, no
// connection). If it may have happened (the connection dropped after the request was sent,
// a timeout, HTTP 5xx, an unreadable answer) the error is an *UnknownOutcomeError listing
// the API users that now carry in.Name; delete those and create afresh.
func (c *Client) CreateAPIUser(ctx context.Context, in CreateAPIUserInput) (CreatedAPIUser, error) {
	if in.Workspace == "" || in.Name == "" {
		return CreatedAPIUser{}, &PermanentError{Op: opCreateAPIUser.Name, Message: "workspace and name are required"}
	}
	// The schema's lists are non-null: send [] rather than null for "none".
	devices := make([]map[string]any, 0, len(in.Devices))
	for _, d := range in.Devices {
		devices = append(devices, map[string]any{"device": d.Device, "permissions": orEmpty(d.Permissions)})
	}
	vars := map[string]any{"input": map[string]any{
		"workspace":           in.Workspace,
		"name":                in.Name,
		"wsPermissions":       orEmpty(in.WorkspacePermissions),
		"deviceRelationships": devices,
	}}
	var out struct {
		AddAPIUser *struct {
			OK      *bool `json:"ok"`
			APIUser *struct {
				ID      string   `json:"id"`
				Name    string   `json:"name"`
				APIKey  string   `json:"apiKey"`
				Created dateTime `json:"created"`
			} `json:"apiUser"`
		} `json:"addApiUser"`
	}
	maybeApplied, err := c.do(ctx, opCreateAPIUser, vars, &out)
	if err != nil {
		if maybeApplied {
			return CreatedAPIUser{}, c.unknownOutcome(ctx, in, err)
		}
		return CreatedAPIUser{}, err
	}
	p := out.AddAPIUser
	switch {
	case p != nil && p.APIUser != nil && p.APIUser.ID != "" && p.APIUser.APIKey != "":
		name := p.APIUser.Name
		if name == "" {
			name = in.Name
		}
		return CreatedAPIUser{ID: p.APIUser.ID, Name: name, Token: p.APIUser.APIKey, Created: p.APIUser.Created.Time}, nil
	case p != nil && p.OK != nil && !*p.OK && p.APIUser == nil:
		return CreatedAPIUser{}, &PermanentError{Op: opCreateAPIUser.Name, Message: "Datacake refused to create the API user (ok: false)"}
	default:
		// Created, perhaps, but without a token we can hand out.
		return CreatedAPIUser{}, c.unknownOutcome(ctx, in, errors.New("the answer holds no API user with a token"))
	}
}

// unknownOutcome looks for API users named in.Name after a create that may have happened.
// The look-up runs even if ctx was cancelled (bounded by the client's timeout), because the
// caller needs to know about a stray API user most when it is shutting down.
func (c *Client) unknownOutcome(ctx context.Context, in CreateAPIUserInput, cause error) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	e := &UnknownOutcomeError{Workspace: in.Workspace, Name: in.Name, Err: cause}
	users, err := c.APIUsers(lctx, in.Workspace)
	if err != nil {
		e.LookupErr = err
	}
	for _, u := range users {
		if u.Name == in.Name {
			e.Found = append(e.Found, u)
		}
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "datacake create API user: outcome unknown",
		slog.String("workspace", in.Workspace), slog.String("name", in.Name),
		slog.Int("found", len(e.Found)), slog.String("error", cause.Error()))
	return e
}

func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
