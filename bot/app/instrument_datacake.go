package app

import (
	"context"
	"errors"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
)

// datacakeAPI is everything the use cases reach Datacake for: datacakeAdapter.
type datacakeAPI interface {
	commands.Datacake
	commands.DeviceDirectory
	commands.DeviceFinder
}

// instrumentedDatacake times every Datacake operation the use cases make and counts its
// failures by kind. It wraps the adapter, so a latency includes the client's rate limiting
// and retries: what the use case waited.
type instrumentedDatacake struct {
	next datacakeAPI
	m    *metrics
}

// CreateAPIUser implements commands.Datacake.
func (d instrumentedDatacake) CreateAPIUser(ctx context.Context, spec commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	start := time.Now()
	u, token, err := d.next.CreateAPIUser(ctx, spec)
	d.m.observeDatacake(opCreateAPIUser, start, err)
	return u, token, err
}

// DeleteAPIUser implements commands.Datacake.
func (d instrumentedDatacake) DeleteAPIUser(ctx context.Context, id string) error {
	start := time.Now()
	err := d.next.DeleteAPIUser(ctx, id)
	d.m.observeDatacake(opDeleteAPIUser, start, err)
	return err
}

// FindAPIUsers implements commands.Datacake.
func (d instrumentedDatacake) FindAPIUsers(ctx context.Context, workspace, prefix string) ([]commands.APIUser, error) {
	start := time.Now()
	users, err := d.next.FindAPIUsers(ctx, workspace, prefix)
	d.m.observeDatacake(opFindAPIUsers, start, err)
	return users, err
}

// Devices implements commands.DeviceDirectory.
func (d instrumentedDatacake) Devices(ctx context.Context, workspace string) ([]commands.Device, error) {
	start := time.Now()
	devices, err := d.next.Devices(ctx, workspace)
	d.m.observeDatacake(opDevices, start, err)
	return devices, err
}

// FindDevices implements commands.DeviceFinder; device operations share the "devices" label.
func (d instrumentedDatacake) FindDevices(ctx context.Context, workspace string, refs []string) ([]commands.Device, error) {
	start := time.Now()
	devices, err := d.next.FindDevices(ctx, workspace, refs)
	d.m.observeDatacake(opDevices, start, err)
	return devices, err
}

// SearchDevices implements commands.DeviceFinder.
func (d instrumentedDatacake) SearchDevices(ctx context.Context, workspace string, q commands.DeviceSearch) ([]commands.Device, error) {
	start := time.Now()
	devices, err := d.next.SearchDevices(ctx, workspace, q)
	d.m.observeDatacake(opDevices, start, err)
	return devices, err
}

// DeviceTags implements commands.DeviceFinder.
func (d instrumentedDatacake) DeviceTags(ctx context.Context, workspace string) ([]string, error) {
	start := time.Now()
	tags, err := d.next.DeviceTags(ctx, workspace)
	d.m.observeDatacake(opDevices, start, err)
	return tags, err
}

// observeDatacake records one operation's latency and, if it failed, its kind of failure.
func (m *metrics) observeDatacake(op string, start time.Time, err error) {
	m.datacakeCalls.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil {
		m.datacakeErrors.WithLabelValues(op, datacakeErrorKind(err)).Inc()
	}
}

// The kinds of cakegate_datacake_errors_total.
var datacakeErrorKinds = []string{"unauthenticated", "not_authorized", "not_found", "rate_limited", "temporary", "permanent", "unknown_outcome"}

// datacakeErrorKind sorts an error of the datacake client (possibly wrapped by the adapter)
// into one of datacakeErrorKinds. The order matters: an unknown outcome wraps the temporary
// failure that caused it, and the sentinels are the causes of permanent errors.
func datacakeErrorKind(err error) string {
	var (
		unknown *datacake.UnknownOutcomeError
		limited *datacake.RateLimitedError
		temp    *datacake.TemporaryError
	)
	switch {
	case errors.As(err, &unknown):
		return "unknown_outcome"
	case errors.As(err, &limited):
		return "rate_limited"
	case errors.Is(err, datacake.ErrUnauthenticated):
		return "unauthenticated"
	case errors.Is(err, datacake.ErrNotAuthorized):
		return "not_authorized"
	case errors.Is(err, datacake.ErrNotFound):
		return "not_found"
	case errors.As(err, &temp),
		// The call ran out of time (or was cancelled) while waiting for a slot, the rate
		// limit or an answer: nothing says Datacake refused it.
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "temporary"
	}
	return "permanent"
}
