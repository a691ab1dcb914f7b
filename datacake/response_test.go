package datacake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
)

// roundTripper answers in memory; no network is involved.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// respond answers every request with status, header and body.
func respond(status int, header http.Header, body string) roundTripper {
	return func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		if header == nil {
			header = http.Header{}
		}
		return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
}

// memClient returns a client whose transport is rt, without retries.
func memClient(t testing.TB, rt http.RoundTripper, edit func(*datacake.Options)) *datacake.Client {
	t.Helper()
	c, _ := newClient(t, "http://127.0.0.1:9/graphql/", ownerToken, func(o *datacake.Options) {
		o.HTTPClient = &http.Client{Transport: rt}
		o.MaxRetries = -1
		if edit != nil {
			edit(o)
		}
	})
	return c
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	var body map[string]any
	c := memClient(t, roundTripper(func(r *http.Request) (*http.Response, error) {
		got = r
		json.NewDecoder(r.Body).Decode(&body)
		return respond(200, nil, `{"data":{"workspace":{"myPermissions":["members"]}}}`)(r)
	}), nil)
	if _, err := c.MyPermissions(context.Background(), ws); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.Header.Get("Authorization") != "Token "+ownerToken || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s with headers %v", got.Method, got.Header)
	}
	if body["operationName"] != "MyPermissions" || !strings.Contains(body["query"].(string), "query MyPermissions") {
		t.Errorf("body %v", body)
	}
	if vars, _ := body["variables"].(map[string]any); vars["id"] != ws {
		t.Errorf("variables %v", body["variables"])
	}
}

// TestResponses maps raw answers to the errors the client returns.
func TestResponses(t *testing.T) {
	const (
		permanent = iota
		temporary
		limited
	)
	for _, tc := range []struct {
		name       string
		status     int
		header     http.Header
		body       string
		kind       int
		sentinel   error
		retryAfter time.Duration
		text       string // part of the error text
	}{
		{name: "Unauthenticated", status: 401, kind: permanent, sentinel: datacake.ErrUnauthenticated},
		{name: "InvalidDocument", status: 400, body: `{"errors":[{"message":"Cannot query field \"emial\" on type \"UserType\"."}]}`, kind: permanent, text: "emial"},
		{name: "Forbidden", status: 403, kind: permanent, sentinel: datacake.ErrNotAuthorized},
		{name: "WrongURL", status: 404, body: "<h1>Not Found</h1>", kind: permanent, text: "HTTP 404"},
		{name: "ServerError", status: 500, body: "<html>oops</html>", kind: temporary, text: "oops"},
		{name: "Unavailable", status: 503, header: http.Header{"Retry-After": {"7"}}, kind: temporary, retryAfter: 7 * time.Second},
		{name: "RateLimitedSeconds", status: 429, header: http.Header{"Retry-After": {"4"}}, kind: limited, retryAfter: 4 * time.Second},
		{name: "RateLimitedBadHeader", status: 429, header: http.Header{"Retry-After": {"soon"}}, kind: limited},
		{name: "RequestTimeout", status: 408, kind: temporary},
		{name: "NotAuthorized", status: 200, body: `{"data":null,"errors":[{"message":"You do not have permission","extensions":{"code":"NOT_AUTHORIZED"}}]}`, kind: permanent, sentinel: datacake.ErrNotAuthorized, text: "NOT_AUTHORIZED"},
		{name: "NotFoundCode", status: 200, body: `{"errors":[{"message":"other"},{"message":"gone","extensions":{"code":"NOT_FOUND"}}]}`, kind: permanent, sentinel: datacake.ErrNotFound, text: "gone"},
		{name: "DjangoDoesNotExist", status: 200, body: `{"errors":[{"message":"Workspace matching query does not exist."}],"data":{"workspace":null}}`, kind: permanent, sentinel: datacake.ErrNotFound, text: "matching query does not exist"},
		{name: "DjangoLookalikeWithCode", status: 200, body: `{"errors":[{"message":"User matching query does not exist.","extensions":{"code":"X"}}]}`, kind: permanent, text: "does not exist"},
		{name: "UnknownCode", status: 200, body: `{"errors":[{"message":"weird","extensions":{"code":"X"}}]}`, kind: permanent, text: "weird"},
		{name: "MalformedJSON", status: 200, body: `{"data":`, kind: permanent, text: "malformed"},
		{name: "WrongType", status: 200, body: `{"data":{"workspace":{"myPermissions":"members"}}}`, kind: permanent, text: "unexpected response shape"},
		{name: "NoData", status: 200, body: `{}`, kind: permanent},
		{name: "NullWorkspace", status: 200, body: `{"data":{"workspace":null}}`, kind: permanent, sentinel: datacake.ErrNotFound},
		{name: "TooLarge", status: 200, body: `{"data":{"workspace":{"myPermissions":[` + strings.Repeat(`"members",`, 200) + `"members"]}}}`, kind: permanent, text: "over 1024 bytes"},
		{name: "LongMessageShortened", status: 400, body: `{"errors":[{"message":"` + strings.Repeat("x", 3000) + `"}]}`, kind: permanent, text: ": " + strings.Repeat("x", 200) + "…"},
		{name: "HugeErrorPageShortened", status: 502, body: strings.Repeat("<p>", 1<<20), kind: temporary, text: strings.Repeat("<p>", 66) + "<p…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := memClient(t, respond(tc.status, tc.header, tc.body), func(o *datacake.Options) { o.MaxResponseBytes = 1024 })
			_, err := c.MyPermissions(context.Background(), ws)
			var perm *datacake.PermanentError
			var temp *datacake.TemporaryError
			var lim *datacake.RateLimitedError
			switch tc.kind {
			case permanent:
				if !errors.As(err, &perm) {
					t.Fatalf("got %T %v, want a PermanentError", err, err)
				}
			case temporary:
				if !errors.As(err, &temp) || temp.RetryAfter != tc.retryAfter {
					t.Fatalf("got %T %v, want a TemporaryError with Retry-After %v", err, err, tc.retryAfter)
				}
			case limited:
				if !errors.As(err, &lim) || lim.RetryAfter != tc.retryAfter {
					t.Fatalf("got %T %v, want a RateLimitedError with Retry-After %v", err, err, tc.retryAfter)
				}
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("%v does not match %v", err, tc.sentinel)
			}
			if tc.sentinel == nil && (errors.Is(err, datacake.ErrNotFound) || errors.Is(err, datacake.ErrNotAuthorized)) {
				t.Errorf("%v matches a sentinel it should not", err)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not contain %q", err, tc.text)
			}
			if len(err.Error()) > 600 {
				t.Errorf("error text of %d bytes", len(err.Error()))
			}
		})
	}
}

func TestRetryAfterAsHTTPDate(t *testing.T) {
	at := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	c := memClient(t, respond(429, http.Header{"Retry-After": {at}}, ""), nil)
	_, err := c.Me(context.Background())
	var lim *datacake.RateLimitedError
	if !errors.As(err, &lim) || lim.RetryAfter < 80*time.Second || lim.RetryAfter > 90*time.Second {
		t.Fatalf("got %v, want Retry-After of about 90s", err)
	}
}

// TestDefaultResponseLimit checks the 8 MiB default: a body of exactly the limit is read,
// one byte more is an error.
func TestDefaultResponseLimit(t *testing.T) {
	valid := `{"data":{"allWorkspaces":[]}}`
	for _, tc := range []struct {
		size    int
		wantErr bool
	}{
		{datacake.DefaultMaxResponseBytes, false},
		{datacake.DefaultMaxResponseBytes + 1, true},
	} {
		body := valid + strings.Repeat(" ", tc.size-len(valid))
		c := memClient(t, respond(200, nil, body), nil)
		_, err := c.Workspaces(context.Background())
		if (err != nil) != tc.wantErr {
			t.Errorf("body of %d bytes: error %v, want error: %v", tc.size, err, tc.wantErr)
		}
	}
}

func TestDateTimeFormats(t *testing.T) {
	for _, tc := range []struct {
		created string
		want    time.Time
	}{
		{`"2024-05-06T07:08:09.123456+00:00"`, time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)},
		{`"2024-05-06T07:08:09Z"`, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{`"2024-05-06T07:08:09.5"`, time.Date(2024, 5, 6, 7, 8, 9, 500000000, time.UTC)},
		{`"yesterday"`, time.Time{}},
		{`null`, time.Time{}},
	} {
		body := `{"data":{"workspace":{"id":"w","apiUserRelationships":[{"id":"r","permissions":[],"user":{"id":"u","name":"n","created":` + tc.created + `},"deviceRelationships":[]}]}}}`
		c := memClient(t, respond(200, nil, body), nil)
		users, err := c.APIUsers(context.Background(), "w")
		if err != nil {
			t.Fatalf("%s: %v", tc.created, err)
		}
		if !users[0].Created.Equal(tc.want) {
			t.Errorf("%s: Created = %v, want %v", tc.created, users[0].Created, tc.want)
		}
	}
}
