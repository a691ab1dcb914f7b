package datacake_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
)

// syncBuffer is a log sink safe for the client's concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTokensNeverInErrorsOrLogs drives successes and every kind of failure with debug
// logging on, then searches the logs and every error's text for the client's token and
// for the tokens of API users it created.
func TestTokensNeverInErrorsOrLogs(t *testing.T) {
	const badToken = "bad-secret-token-31337"
	f := newFixture(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	withLogger := func(o *datacake.Options) { o.Logger = logger; o.MaxRetries = 1 }
	c, _ := newClient(t, f.URL(), ownerToken, withLogger)
	bad, _ := newClient(t, f.URL(), badToken, withLogger)
	ctx := t.Context()

	var texts []string
	note := func(v ...any) {
		for _, x := range v {
			texts = append(texts, fmt.Sprintf("%v | %+v | %#v", x, x, x))
		}
	}
	var secrets []string
	create := func(name string) {
		u, err := c.CreateAPIUser(ctx, datacake.CreateAPIUserInput{Workspace: ws, Name: name, Devices: []datacake.DevicePermission{{Device: f.pump.ID}}})
		note(u, err)
		logger.Info("created", "user", u)
		if u.Token != "" {
			secrets = append(secrets, u.Token)
		}
	}

	create("ok")
	_, err := bad.Me(ctx)
	note(err)
	_, err = c.APIUsers(ctx, otherWS) // NOT_AUTHORIZED
	note(err)
	f.FailNext(2, http.StatusInternalServerError)
	_, err = c.Workspaces(ctx)
	note(err)
	f.RateLimitNext(2, time.Second)
	_, err = c.Devices(ctx, ws, datacake.DeviceFilter{})
	note(err)
	f.DropAfterCommitNext()
	create("dropped")
	f.FailNext(1, http.StatusBadGateway)
	create("failed")
	note(c.DeleteAPIUser(ctx, "no-such-id"))
	users, err := c.APIUsers(ctx, ws)
	note(users, err)
	for _, u := range f.APIUsers(ws) { // the dropped create's token too
		secrets = append(secrets, u.Token)
	}
	as, _ := newClient(t, f.URL(), secrets[0], withLogger)
	_, err = as.APIUsers(ctx, ws) // an API user without members
	note(err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Me(cctx)
	note(err)
	note(c, datacake.Options{Token: ownerToken})

	if len(secrets) < 2 {
		t.Fatalf("only %d API user tokens to look for", len(secrets))
	}
	all := logs.String() + strings.Join(texts, "\n")
	if !strings.Contains(logs.String(), `"level":"DEBUG"`) || !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("the logs lack the debug and retry lines the test means to search:\n%s", logs)
	}
	for _, secret := range append([]string{ownerToken, badToken}, secrets...) {
		if strings.Contains(all, secret) {
			t.Errorf("a token appears in the logs or errors:\n%s", all)
		}
	}
}

// TestServerEchoIsRedacted covers a server that quotes the token back in an error.
func TestServerEchoIsRedacted(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{
		{http.StatusOK, `{"data":null,"errors":[{"message":"bad token ` + ownerToken + `"}]}`},
		{http.StatusBadRequest, `{"errors":[{"message":"bad token ` + ownerToken + `"}]}`},
		{http.StatusInternalServerError, `<html>Authorization: Token ` + ownerToken + `</html>`},
	} {
		c, _ := newClient(t, "http://127.0.0.1:9/graphql/", ownerToken, func(o *datacake.Options) {
			o.HTTPClient = &http.Client{Transport: respond(tc.status, nil, tc.body)}
			o.MaxRetries = -1
		})
		_, err := c.Me(context.Background())
		if err == nil || strings.Contains(err.Error(), ownerToken) || !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("status %d: error %v, want the token redacted", tc.status, err)
		}
	}
}
