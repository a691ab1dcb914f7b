package datacake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
)

func isNotFound(err error) bool        { return errors.Is(err, datacake.ErrNotFound) }
func isUnauthenticated(err error) bool { return errors.Is(err, datacake.ErrUnauthenticated) }

// TestErrorKinds checks that each failure arrives as its type, and that permanent ones
// are not retried.
func TestErrorKinds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		token     string
		setup     func(*fixture)
		call      func(context.Context, *datacake.Client, *fixture) error
		sentinel  error // errors.Is target, if any
		temporary bool
		calls     int // requests the fake should see
	}{
		{name: "BadToken", token: "wrong",
			call:     func(ctx context.Context, c *datacake.Client, _ *fixture) error { _, err := c.Me(ctx); return err },
			sentinel: datacake.ErrUnauthenticated, calls: 1},
		{name: "NotAuthorizedToList", token: observerToken,
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.APIUsers(ctx, ws)
				return err
			},
			sentinel: datacake.ErrNotAuthorized, calls: 1},
		{name: "NotAuthorizedToCreate", token: observerToken,
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: ws, Name: "x"})
				return err
			},
			sentinel: datacake.ErrNotAuthorized, calls: 1},
		{name: "ForeignWorkspace", token: observerToken,
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.MyPermissions(ctx, otherWS)
				return err
			},
			sentinel: datacake.ErrNotAuthorized, calls: 1},
		{name: "UnknownDeviceInCreate", token: ownerToken,
			call: func(ctx context.Context, c *datacake.Client, f *fixture) error {
				_, err := c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: ws, Name: "x",
					Devices: []datacake.DevicePermission{{Device: f.lamp.ID}}})
				return err
			},
			sentinel: datacake.ErrNotFound, calls: 1},
		{name: "DeleteUnknown", token: ownerToken,
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				return c.DeleteAPIUser(ctx, "no-such-id")
			},
			sentinel: datacake.ErrNotFound, calls: 1},
		{name: "ServerErrorsOutlastRetries", token: ownerToken,
			setup: func(f *fixture) { f.FailNext(100, http.StatusBadGateway) },
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.Workspaces(ctx)
				return err
			},
			temporary: true, calls: 1 + datacake.DefaultMaxRetries},
		{name: "RateLimitOutlastsRetries", token: ownerToken,
			setup: func(f *fixture) { f.RateLimitNext(100, time.Second) },
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.Workspaces(ctx)
				return err
			},
			temporary: true, calls: 1 + datacake.DefaultMaxRetries},
		{name: "RetryAfterTooLong", token: ownerToken,
			setup: func(f *fixture) { f.RateLimitNext(100, 2*datacake.MaxRetryAfter) },
			call: func(ctx context.Context, c *datacake.Client, _ *fixture) error {
				_, err := c.Workspaces(ctx)
				return err
			},
			temporary: true, calls: 1},
		{name: "ClientError", token: ownerToken,
			setup: func(f *fixture) { f.FailNext(1, http.StatusNotFound) },
			// A 404 means a wrong URL; it must not read as "API user already gone".
			call:  func(ctx context.Context, c *datacake.Client, _ *fixture) error { return c.DeleteAPIUser(ctx, "x") },
			calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			c, _ := newClient(t, f.URL(), tc.token, nil)
			err := tc.call(t.Context(), c, f)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %v does not match %v", err, tc.sentinel)
			}
			for _, s := range []error{datacake.ErrNotFound, datacake.ErrNotAuthorized, datacake.ErrUnauthenticated} {
				if s != tc.sentinel && errors.Is(err, s) {
					t.Errorf("error %v also matches %v", err, s)
				}
			}
			if got := datacake.IsTemporary(err); got != tc.temporary {
				t.Errorf("IsTemporary(%v) = %v, want %v", err, got, tc.temporary)
			}
			var perm *datacake.PermanentError
			if !tc.temporary && !errors.As(err, &perm) {
				t.Errorf("error %T is not a *PermanentError", err)
			}
			if got := f.CallCount(""); got != tc.calls {
				t.Errorf("the fake saw %d calls, want %d", got, tc.calls)
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	for _, tc := range []struct {
		err       error
		temporary bool
		text      string
	}{
		{&datacake.TemporaryError{Op: "Me", Status: 503, Message: "busy"}, true, "datacake Me: HTTP 503: busy"},
		{&datacake.RateLimitedError{Op: "Me", RetryAfter: 2 * time.Second}, true, "datacake Me: HTTP 429: rate limited, retry after 2s"},
		{&datacake.PermanentError{Op: "Me", Status: 401, Err: datacake.ErrUnauthenticated}, false, "datacake Me: HTTP 401: token rejected (HTTP 401)"},
		{&datacake.PermanentError{Op: "WorkspaceApiUsers", Code: "NOT_AUTHORIZED", Message: "no", Err: datacake.ErrNotAuthorized}, false, "datacake WorkspaceApiUsers: NOT_AUTHORIZED: no: not authorized"},
		{&datacake.UnknownOutcomeError{Workspace: "w", Name: "n", Err: &datacake.TemporaryError{Op: "NewApiUser", Status: 502}}, false,
			`datacake: creating API user "n" in workspace w may or may not have happened: datacake NewApiUser: HTTP 502; found 0 API user(s) with that name`},
		{fmt.Errorf("wrapped: %w", &datacake.TemporaryError{Op: "Me"}), true, "wrapped: datacake Me"},
		{errors.New("other"), false, "other"},
	} {
		if got := datacake.IsTemporary(tc.err); got != tc.temporary {
			t.Errorf("IsTemporary(%v) = %v, want %v", tc.err, got, tc.temporary)
		}
		if got := tc.err.Error(); got != tc.text {
			t.Errorf("Error() = %q, want %q", got, tc.text)
		}
	}
}
