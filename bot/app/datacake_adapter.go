package app

import (
	"context"
	"errors"
	"strings"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// datacakeAdapter lets the use cases reach Datacake through the client, translating types
// and errors between the two packages, which know nothing of each other.
type datacakeAdapter struct {
	client *datacake.Client
	// oneByOne looks serial numbers up in turn on the caller's goroutine instead of a few
	// at a time (Options.OneGoroutine).
	oneByOne bool
}

// CreateAPIUser implements commands.Datacake.
func (a datacakeAdapter) CreateAPIUser(ctx context.Context, spec commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	in := datacake.CreateAPIUserInput{
		Workspace:            spec.Workspace,
		Name:                 spec.Name,
		WorkspacePermissions: spec.WorkspacePermissions,
	}
	for _, id := range spec.DeviceIDs {
		in.Devices = append(in.Devices, datacake.DevicePermission{Device: id, Permissions: spec.DevicePermissions})
	}
	u, err := a.client.CreateAPIUser(ctx, in)
	if err != nil {
		return commands.APIUser{}, "", translate(err)
	}
	return commands.APIUser{ID: u.ID, Name: u.Name}, commands.Token(u.Token), nil
}

// DeleteAPIUser implements commands.Datacake.
func (a datacakeAdapter) DeleteAPIUser(ctx context.Context, id string) error {
	return translate(a.client.DeleteAPIUser(ctx, id))
}

// FindAPIUsers implements commands.Datacake.
func (a datacakeAdapter) FindAPIUsers(ctx context.Context, workspace, prefix string) ([]commands.APIUser, error) {
	users, err := a.client.APIUsers(ctx, workspace)
	if err != nil {
		return nil, translate(err)
	}
	var out []commands.APIUser
	for _, u := range users {
		if strings.HasPrefix(u.Name, prefix) {
			out = append(out, commands.APIUser{ID: u.ID, Name: u.Name, Created: u.Created, Permissions: u.Permissions, Devices: len(u.Devices)})
		}
	}
	return out, nil
}

// Devices implements commands.DeviceDirectory.
func (a datacakeAdapter) Devices(ctx context.Context, workspace string) ([]commands.Device, error) {
	devices, err := a.client.Devices(ctx, workspace, datacake.DeviceFilter{})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]commands.Device, len(devices))
	for i, d := range devices {
		out[i] = commands.Device{ID: d.ID, Name: d.Name, Serial: d.Serial, Tags: d.Tags}
	}
	return out, nil
}

// translate keeps the client's error (its text carries no secret) and adds the commands
// code the use cases branch on.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, datacake.ErrNotFound):
		return &commands.Error{Code: commands.CodeNotFound, Message: err.Error(), Err: err}
	case errors.Is(err, datacake.ErrUnauthenticated), errors.Is(err, datacake.ErrNotAuthorized):
		return &commands.Error{Code: commands.CodeUnavailable, Message: "cakegate's Datacake token was refused (" + err.Error() + "); an operator must check DATACAKE_TOKEN", Err: err}
	case datacake.IsTemporary(err):
		// Marked, so a failed delete is retried later rather than settled by a list that
		// would fail the same way.
		return &commands.Error{Code: commands.CodeUnavailable, Message: err.Error(), Err: err}
	}
	return err
}
