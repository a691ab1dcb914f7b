package datacake

import (
	"context"
	"time"
)

// APIUser is an API user of a workspace as listed by APIUsers. It has no token: Datacake
// shows that once, when the API user is created.
type APIUser struct {
	ID             string // ApiUserType.id: what DeleteAPIUser takes
	Name           string // not unique; cakegate's names carry the request ID
	RelationshipID string // the workspace relationship's id
	Permissions    []string
	Devices        []DeviceGrant
	Created        time.Time // zero if Datacake did not say
}

// DeviceGrant is a device an API user may see, with what else it may do to it.
type DeviceGrant struct {
	DeviceID    string
	Name        string
	Serial      string
	Permissions []string // e.g. "edit_basics"; empty means view only
}

// APIUsers lists workspace's API users. It needs the "members" permission there.
func (c *Client) APIUsers(ctx context.Context, workspace string) ([]APIUser, error) {
	var out struct {
		Workspace *struct {
			Relationships []*struct {
				ID          string   `json:"id"`
				Permissions []string `json:"permissions"`
				User        *struct {
					ID      string   `json:"id"`
					Name    string   `json:"name"`
					Created dateTime `json:"created"`
				} `json:"user"`
				Devices []*struct {
					Permissions []string `json:"permissions"`
					Device      *struct {
						ID           string `json:"id"`
						VerboseName  string `json:"verboseName"`
						SerialNumber string `json:"serialNumber"`
					} `json:"device"`
				} `json:"deviceRelationships"`
			} `json:"apiUserRelationships"`
		} `json:"workspace"`
	}
	if _, err := c.do(ctx, opAPIUsers, map[string]any{"id": workspace}, &out); err != nil {
		return nil, err
	}
	if out.Workspace == nil {
		return nil, &PermanentError{Op: opAPIUsers.Name, Message: "no workspace " + workspace, Err: ErrNotFound}
	}
	users := make([]APIUser, 0, len(out.Workspace.Relationships))
	for _, r := range out.Workspace.Relationships {
		if r == nil || r.User == nil {
			// A list with a hole is not the workspace's list: a caller would take the
			// missing API user for deleted, or miss one nobody manages.
			return nil, &PermanentError{Op: opAPIUsers.Name, Message: "Datacake's list of API users has an entry it could not fill; the list is incomplete"}
		}
		u := APIUser{
			ID:             r.User.ID,
			Name:           r.User.Name,
			RelationshipID: r.ID,
			Permissions:    nonEmpty(r.Permissions),
			Devices:        []DeviceGrant{},
			Created:        r.User.Created.Time,
		}
		for _, d := range r.Devices {
			if d == nil || d.Device == nil {
				continue
			}
			u.Devices = append(u.Devices, DeviceGrant{
				DeviceID:    d.Device.ID,
				Name:        d.Device.VerboseName,
				Serial:      d.Device.SerialNumber,
				Permissions: nonEmpty(d.Permissions),
			})
		}
		users = append(users, u)
	}
	return users, nil
}

// DeleteAPIUser deletes the API user with this id (APIUser.ID, not the relationship id),
// which revokes its token at once. An API user that does not exist (any more) gives an
// error matching ErrNotFound, which a caller revoking a token may treat as done.
func (c *Client) DeleteAPIUser(ctx context.Context, id string) error {
	if id == "" {
		return &PermanentError{Op: opDeleteAPIUser.Name, Message: "API user id is empty"}
	}
	var out struct {
		DeleteAPIUser *struct {
			OK *bool `json:"ok"`
		} `json:"deleteApiUser"`
	}
	if _, err := c.do(ctx, opDeleteAPIUser, map[string]any{"id": id}, &out); err != nil {
		return err
	}
	if out.DeleteAPIUser == nil || out.DeleteAPIUser.OK == nil || !*out.DeleteAPIUser.OK {
		return &PermanentError{Op: opDeleteAPIUser.Name, Message: "Datacake deleted no API user " + id, Err: ErrNotFound}
	}
	return nil
}
