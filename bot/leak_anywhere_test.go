package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// TestLeakAnywhereInAMessage: a live token anywhere in a message event (a forwarded
// message, a bot's blocks or attachments, rich text, a snippet, a file's title or comment,
// the new message of an edit, a message slack-go cannot decode) is marked leaked before the
// event is acknowledged, and revoked, over either transport; the token is not logged.
func TestLeakAnywhereInAMessage(t *testing.T) {
	for _, shape := range bot.LeakShapes {
		inner := json.RawMessage(fmt.Sprintf(shape.JSON, ackToken))
		t.Run(shape.Name+"/HTTP", func(t *testing.T) {
			f := newHTTPFixture(t)
			f.slack.AddChannel(bot.LeakShapeChannel, "general")
			dc := commandstest.NewDatacake()
			r := leakedGrant(t, f.store, dc, ackToken)
			f.svc.Datacake = dc
			body, err := f.slack.EventCallback(inner)
			if err != nil {
				t.Fatal(err)
			}
			if status, answer := f.do(t, http.MethodPost, "/slack/events", body, httpSecret, nil); status != http.StatusOK {
				t.Fatalf("the event was answered %d %q, want 200", status, answer)
			}
			mustBeMarked(t, f.store, r)
			f.settle(t)
			mustBeRevoked(t, f.store, dc, r)
		})
		t.Run(shape.Name+"/SocketMode", func(t *testing.T) {
			store := commandstest.NewStore()
			dc := commandstest.NewDatacake()
			r := leakedGrant(t, store, dc, ackToken)
			svc := &commands.Service{
				Policy: &commands.Policy{Workspace: "ws-1", ApprovalsChannel: "C0APPROVALS", AllRequesters: true, Location: time.UTC},
				Store:  store, Datacake: dc, Clock: commands.SystemClock{},
			}
			logs := &lockedBuffer{}
			f := newSocketFixture(t, svc, bot.Config{Requests: store, Outbox: store, Log: slog.New(slog.NewTextHandler(logs, nil))})
			f.slack.AddChannel(bot.LeakShapeChannel, "general")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			env, err := f.slack.SendEvent(ctx, inner)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.slack.WaitAck(ctx, env); err != nil {
				t.Fatalf("the event was not acknowledged: %v", err)
			}
			mustBeMarked(t, store, r)
			if err := f.bot.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			mustBeRevoked(t, store, dc, r)
			// Nor its bytes, as fmt prints a []byte inside a struct.
			asBytes := strings.Trim(fmt.Sprint([]byte(ackToken)), "[]")
			if out := logs.String(); strings.Contains(out, ackToken) || strings.Contains(out, asBytes) {
				t.Fatalf("the token was logged:\n%s", out)
			}
		})
	}
}

// mustBeMarked fails the test unless grant r is recorded as leaked: what must happen before
// the message event is acknowledged.
func mustBeMarked(t *testing.T, store *commandstest.Store, r *commands.Request) {
	t.Helper()
	got, err := store.Get(context.Background(), r.ID)
	if err != nil || got.DecisionNote != commands.LeakedReason || (got.State != commands.StateRevoking && got.State != commands.StateRevoked) {
		t.Fatalf("when the event was acknowledged: %v (%v); want it recorded as leaked", got, err)
	}
}

// mustBeRevoked fails the test unless grant r is revoked as leaked and its API user gone.
func mustBeRevoked(t *testing.T, store *commandstest.Store, dc *commandstest.Datacake, r *commands.Request) {
	t.Helper()
	got, err := store.Get(context.Background(), r.ID)
	if err != nil || got.State != commands.StateRevoked || got.DecisionNote != commands.LeakedReason || dc.Count() != 0 {
		t.Fatalf("got %v (%v) with %d API users; want revoked as leaked, none left", got, err, dc.Count())
	}
}
