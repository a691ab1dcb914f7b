package datacake_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

func TestNewChecksOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts datacake.Options
		want string // part of the error; "" for success
	}{
		{"OK", datacake.Options{URL: "http://127.0.0.1:1/graphql/", Token: "tok-secret-123"}, ""},
		{"DefaultURL", datacake.Options{Token: "tok-secret-123"}, ""},
		{"NoToken", datacake.Options{URL: "http://127.0.0.1:1/"}, "token is empty"},
		{"TokenWithNewline", datacake.Options{Token: "secret\n"}, "control characters"},
		{"FTP", datacake.Options{URL: "ftp://127.0.0.1/", Token: "t"}, "http or https"},
		{"NoScheme", datacake.Options{URL: "127.0.0.1/graphql", Token: "t"}, "http or https"},
		{"NoHost", datacake.Options{URL: "http:///graphql", Token: "t"}, "no host"},
		{"Credentials", datacake.Options{URL: "https://u:pw@127.0.0.1/", Token: "t"}, "credentials"},
		{"NegativeRPS", datacake.Options{Token: "t", MaxRPS: -1}, "MaxRPS"},
		{"NegativeConcurrency", datacake.Options{Token: "t", MaxConcurrency: -1}, "MaxConcurrency"},
		{"NegativeTimeout", datacake.Options{Token: "t", Timeout: -time.Second}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := datacake.New(tc.opts)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			case err != nil && tc.opts.Token != "" && tc.opts.Token != "t" && strings.Contains(err.Error(), tc.opts.Token):
				t.Fatalf("error %q quotes the token", err)
			case c != nil && (strings.Contains(c.String(), tc.opts.Token) || strings.Contains(fmt.Sprintf("%v %+v %#v", c, tc.opts, tc.opts), tc.opts.Token)):
				t.Fatalf("printing the client or options shows the token")
			}
		})
	}
}

func TestMe(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if me.ID == "" || me.Email == "" || me.IsAPIUser {
		t.Errorf("Me = %+v, want a person with id and email", me)
	}
}

func TestWorkspaces(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		token string
		want  []datacake.Workspace
	}{
		{ownerToken, []datacake.Workspace{{ID: ws, Name: "Acme", Slug: "acme"}, {ID: otherWS, Name: "Other", Slug: "other"}}},
		{observerToken, []datacake.Workspace{{ID: ws, Name: "Acme", Slug: "acme"}}},
	} {
		c, _ := newClient(t, f.URL(), tc.token, nil)
		got, err := c.Workspaces(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Workspaces (-want +got):\n%s", diff)
		}
	}
}

func TestMyPermissions(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, token, workspace string
		want                   []string
	}{
		{"Owner", ownerToken, ws, []string{"members", "devices"}},
		{"Observer", observerToken, ws, []string{}},
		{"MemberWithoutPermissions", ownerToken, otherWS, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, f.URL(), tc.token, nil)
			got, err := c.MyPermissions(t.Context(), tc.workspace)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("MyPermissions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDevices(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	boiler := datacake.Device{ID: f.boiler.ID, Name: "Boiler", Serial: "SN-B1", Tags: []string{"heating", "basement"}, Online: true}
	pump := datacake.Device{ID: f.pump.ID, Name: "Pump", Serial: "SN-P1", Tags: []string{"basement"}}
	for _, tc := range []struct {
		name   string
		filter datacake.DeviceFilter
		want   []datacake.Device
	}{
		{"All", datacake.DeviceFilter{}, []datacake.Device{boiler, pump}},
		{"SearchName", datacake.DeviceFilter{Search: "boil"}, []datacake.Device{boiler}},
		{"SearchSerial", datacake.DeviceFilter{Search: "SN-P"}, []datacake.Device{pump}},
		{"AnyTag", datacake.DeviceFilter{Tags: []string{"heating", "roof"}}, []datacake.Device{boiler}},
		{"IDs", datacake.DeviceFilter{IDs: []string{f.pump.ID}}, []datacake.Device{pump}},
		{"Combined", datacake.DeviceFilter{Search: "p", Tags: []string{"basement"}}, []datacake.Device{pump}},
		{"None", datacake.DeviceFilter{Search: "nothing like it"}, []datacake.Device{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Devices(t.Context(), ws, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Devices (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAPIUserLifecycle creates an API user, finds it in the listing and in the fake,
// deletes it, and checks that a second delete is ErrNotFound.
func TestAPIUserLifecycle(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	created, err := c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{
		Workspace:            ws,
		Name:                 "cakegate-r42-alice",
		WorkspacePermissions: []string{"devices"},
		Devices: []datacake.DevicePermission{
			{Device: f.boiler.ID, Permissions: []string{"edit_basics"}},
			{Device: f.pump.ID},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Name != "cakegate-r42-alice" || created.Token == "" || created.Created.Before(before) {
		t.Fatalf("created %v (created at %v)", created, created.Created)
	}
	inFake, ok := f.APIUser(created.ID)
	if !ok || inFake.Token != created.Token {
		t.Fatalf("the fake does not hold the API user with the token returned")
	}

	users, err := c.APIUsers(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	want := []datacake.APIUser{{
		ID: created.ID, Name: "cakegate-r42-alice", Permissions: []string{"devices"},
		Devices: []datacake.DeviceGrant{
			{DeviceID: f.boiler.ID, Name: "Boiler", Serial: "SN-B1", Permissions: []string{"edit_basics"}},
			{DeviceID: f.pump.ID, Name: "Pump", Serial: "SN-P1", Permissions: []string{}},
		},
	}}
	if diff := cmp.Diff(want, users, cmpopts.IgnoreFields(datacake.APIUser{}, "RelationshipID", "Created")); diff != "" {
		t.Errorf("APIUsers (-want +got):\n%s", diff)
	}
	if users[0].RelationshipID == "" || !users[0].Created.Equal(created.Created) {
		t.Errorf("relationship %q created %v, want an id and %v", users[0].RelationshipID, users[0].Created, created.Created)
	}

	// The new token works against the fake, scoped to its devices.
	asUser, _ := newClient(t, f.URL(), created.Token, nil)
	me, err := asUser.Me(ctx)
	if err != nil || !me.IsAPIUser {
		t.Errorf("Me as the API user = %+v, %v", me, err)
	}

	if err := c.DeleteAPIUser(ctx, created.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got := f.APIUsers(ws); len(got) != 0 {
		t.Errorf("fake still holds %d API users", len(got))
	}
	if err := c.DeleteAPIUser(ctx, created.ID); !isNotFound(err) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := asUser.Me(ctx); !isUnauthenticated(err) {
		t.Errorf("deleted API user's token: %v, want ErrUnauthenticated", err)
	}
}

// Deleting an API user that is already gone is ErrNotFound whichever way Datacake answers
// it: ok:false, or Django's "User matching query does not exist." with no code.
func TestDeleteOutOfBandIsNotFound(t *testing.T) {
	for _, how := range []datacaketest.MissingDelete{datacaketest.MissingOKFalse, datacaketest.MissingDoesNotExist} {
		t.Run(how.String(), func(t *testing.T) {
			f := newFixture(t)
			f.AnswerMissingDeletes(how)
			c, _ := newClient(t, f.URL(), ownerToken, nil)
			created, err := c.CreateAPIUser(t.Context(), datacake.CreateAPIUserInput{Workspace: ws, Name: "gone"})
			if err != nil {
				t.Fatal(err)
			}
			f.DeleteAPIUserOutOfBand(created.ID)
			if err := c.DeleteAPIUser(t.Context(), created.ID); !isNotFound(err) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
	}
}
