package slacktest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// dialRaw opens a Socket Mode connection by hand, to check the wire protocol
// slack-go relies on.
func dialRaw(t *testing.T, srv *slacktest.Server) (*websocket.Conn, string) {
	t.Helper()
	api := slack.New(slacktest.DefaultBotToken, slack.OptionAppLevelToken(slacktest.DefaultAppToken), slack.OptionAPIURL(srv.URL()))
	_, url, err := api.StartSocketModeContext(deadline(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "ws://127.0.0.1:") {
		t.Fatalf("url %q", url)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(deadline(t), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, url
}

func TestSocketProtocol(t *testing.T) {
	srv := mustStart(t, slacktest.WithPingInterval(20*time.Millisecond))
	conn, url := dialRaw(t, srv)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))

	t.Run("HelloFirst", func(t *testing.T) {
		var hello socketmode.Request
		if err := conn.ReadJSON(&hello); err != nil {
			t.Fatal(err)
		}
		if hello.Type != "hello" || hello.NumConnections != 1 || hello.ConnectionInfo.AppID != slacktest.DefaultAppID {
			t.Fatalf("first message %+v", hello)
		}
	})

	t.Run("PingsAndPongs", func(t *testing.T) {
		ctx := deadline(t)
		pinged, ponged := make(chan struct{}, 1), make(chan struct{}, 1)
		conn.SetPingHandler(func(string) error {
			select {
			case pinged <- struct{}{}:
			default:
			}
			return nil
		})
		conn.SetPongHandler(func(data string) error {
			if data == "are you there" {
				ponged <- struct{}{}
			}
			return nil
		})
		if err := conn.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		// Control frames are handled while reading; a read returns when the fake
		// drops the connection at the end of the test or the deadline passes.
		go func() { _, _, _ = conn.ReadMessage() }()
		for pinged != nil || ponged != nil {
			select {
			case <-pinged:
				pinged = nil
			case <-ponged:
				ponged = nil
			case <-ctx.Done():
				t.Fatal("no ping from the fake or no pong to ours")
			}
		}
	})

	t.Run("ErrTicketReused", func(t *testing.T) {
		_, resp, err := websocket.DefaultDialer.DialContext(deadline(t), url, nil)
		if err == nil || resp == nil || resp.StatusCode != 401 {
			t.Fatalf("second dial with the same ticket: %v", err)
		}
	})

	t.Run("ErrAppToken", func(t *testing.T) {
		for token, want := range map[string]string{"xapp-wrong": "invalid_auth", slacktest.DefaultBotToken: "not_allowed_token_type"} {
			api := slack.New(slacktest.DefaultBotToken, slack.OptionAppLevelToken(token), slack.OptionAPIURL(srv.URL()))
			if _, _, err := api.StartSocketModeContext(deadline(t)); slackErr(err) != want {
				t.Errorf("app token %q: got %v, want %s", token, err, want)
			}
		}
	})
}

func TestSocketModeFatalAuth(t *testing.T) {
	srv := mustStart(t)
	api := slack.New(slacktest.DefaultBotToken, slack.OptionAppLevelToken("xapp-revoked"), slack.OptionAPIURL(srv.URL()))
	sm := socketmode.New(api)
	go func() {
		for range sm.Events {
		}
	}()
	err := sm.RunContext(deadline(t))
	if err == nil || err.Error() != "invalid_auth" {
		t.Fatalf("RunContext = %v, want invalid_auth", err)
	}
}

func TestWaitAck(t *testing.T) {
	srv := mustStart(t)

	t.Run("ErrUnknownEnvelope", func(t *testing.T) {
		if _, err := srv.WaitAck(deadline(t), "nope"); err == nil {
			t.Fatal("WaitAck of an envelope never sent succeeded")
		}
	})

	t.Run("ErrNoConnection", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := srv.SendSlashCommand(ctx, slack.SlashCommand{Command: "/cake", UserID: alice.ID})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})

	t.Run("ErrNeverAcked", func(t *testing.T) {
		runBot(t, srv, func(*socketmode.Client, socketmode.Event) {}) // a bot that forgets to ack
		id, err := srv.SendEvent(deadline(t), []byte(`{"type":"app_home_opened","user":"U0ALICE","tab":"home"}`))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := srv.WaitAck(ctx, id); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want a deadline error", err)
		}
	})
}

func TestEnvelopeWire(t *testing.T) {
	srv := mustStart(t)
	conn, _ := dialRaw(t, srv)
	ctx := deadline(t)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var hello socketmode.Request
	if err := conn.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	id, err := srv.SendSlashCommand(ctx, slack.SlashCommand{Command: "/cake", UserID: alice.ID, ChannelID: "C0REQ"})
	if err != nil {
		t.Fatal(err)
	}
	var env socketmode.Request
	if err := conn.ReadJSON(&env); err != nil {
		t.Fatal(err)
	}
	if env.EnvelopeID != id || env.Type != "slash_commands" || !env.AcceptsResponsePayload || !strings.Contains(string(env.Payload), `"command":"/cake"`) {
		t.Fatalf("envelope %+v", env)
	}

	t.Run("ErrAckTooLarge", func(t *testing.T) {
		// slack-go refuses to send such an ack; Slack would drop it.
		big := map[string]any{"envelope_id": id, "payload": map[string]string{"text": strings.Repeat("x", 20*1024)}}
		if err := conn.WriteJSON(big); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := srv.WaitAck(short, id); err == nil || !strings.Contains(err.Error(), "drops acks") {
			t.Fatalf("got %v, want the dropped-ack complaint", err)
		}
	})

	t.Run("Ack", func(t *testing.T) {
		if err := conn.WriteJSON(map[string]any{"envelope_id": id}); err != nil {
			t.Fatal(err)
		}
		if payload, err := srv.WaitAck(ctx, id); err != nil || payload != nil {
			t.Fatalf("WaitAck = %s, %v", payload, err)
		}
	})
}
