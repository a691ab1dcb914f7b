package datacake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/datacake"
)

// FuzzResponse feeds every method arbitrary answers: malformed JSON, wrong types, odd
// statuses and headers must come back as errors, never panics, and never quote the token.
func FuzzResponse(f *testing.F) {
	for _, seed := range []struct {
		method     uint8
		status     int
		retryAfter string
		body       string
	}{
		{0, 200, "", `{"data":{"user":{"id":"u","email":"e","isApiuser":false}}}`},
		{1, 200, "", `{"data":{"allWorkspaces":[{"id":"w","name":"n","slug":"s"},null]}}`},
		{2, 200, "", `{"data":{"workspace":{"id":"w","myPermissions":["members",null]}}}`},
		{3, 200, "", `{"data":{"allDevices":[{"id":"d","verboseName":"v","serialNumber":"s","tags":["a",null],"online":true}]}}`},
		{4, 200, "", `{"data":{"workspace":{"id":"w","apiUserRelationships":[{"id":"r","permissions":["devices"],"user":{"id":"u","name":"n","created":"2024-01-01T00:00:00+00:00"},"deviceRelationships":[{"id":"x","permissions":[],"device":{"id":"d","verboseName":"v","serialNumber":"s"}},null]},null]}}}`},
		{5, 200, "", `{"data":{"addApiUser":{"ok":true,"apiUser":{"id":"u","name":"n","apiKey":"k","created":null}}}}`},
		{5, 200, "", `{"data":{"addApiUser":{"ok":false,"apiUser":null}}}`},
		{6, 200, "", `{"data":{"deleteApiUser":{"ok":true}}}`},
		{6, 200, "", `{"data":null,"errors":[{"message":"m","extensions":{"code":"NOT_AUTHORIZED"}}]}`},
		{0, 200, "", `{"data":{"user":{"id":1}}}`},
		{1, 200, "", `{"data":{"allWorkspaces":{}}}`},
		{2, 200, "", `{"errors":"nope"}`},
		{3, 200, "", `[1,2,3]`},
		{4, 200, "", "\x00\xff"},
		{5, 502, "", `<html>`},
		{0, 429, "3", ``},
		{0, 503, "Wed, 21 Oct 2015 07:28:00 GMT", ``},
		{0, 401, "", ``},
		{6, 99, "", ``},
	} {
		f.Add(seed.method, seed.status, seed.retryAfter, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, method uint8, status int, retryAfter string, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		header := http.Header{}
		header.Set("Retry-After", retryAfter)
		c := memClient(t, respond(status, header, string(body)), func(o *datacake.Options) {
			o.MaxResponseBytes = 64 << 10
			o.MaxRetries = 1
		})
		ctx := context.Background()
		var err error
		switch method % 7 {
		case 0:
			_, err = c.Me(ctx)
		case 1:
			_, err = c.Workspaces(ctx)
		case 2:
			_, err = c.MyPermissions(ctx, "w")
		case 3:
			_, err = c.Devices(ctx, "w", datacake.DeviceFilter{Search: "x"})
		case 4:
			_, err = c.APIUsers(ctx, "w")
		case 5:
			_, err = c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: "w", Name: "n"})
		case 6:
			err = c.DeleteAPIUser(ctx, "u")
		}
		if err != nil && strings.Contains(err.Error(), ownerToken) {
			t.Fatalf("error quotes the token: %v", err)
		}
		if status != 200 && err == nil && (status < 200 || status > 299) {
			t.Fatalf("status %d gave no error", status)
		}
	})
}
