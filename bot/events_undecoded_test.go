package bot

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestUndecodedEnvelopeIsNotLogged: an envelope slack-go could not decode is logged by its
// id and the cause, never its content, which may hold a token (here where a user belongs).
func TestUndecodedEnvelopeIsNotLogged(t *testing.T) {
	var logs bytes.Buffer
	b := New(Config{Service: &commands.Service{}, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	frame := `{"envelope_id":"e1","type":"interactive","payload":{"type":"block_actions","user":"` + shapeToken + `"}}`
	evt, ok := socketEvent([]byte(frame))
	if !ok {
		t.Fatal("slack-go drops the frame")
	}
	acks := &ackRecorder{}
	b.handleSocketEvent(acks, evt)
	asBytes := strings.Trim(fmt.Sprint([]byte(shapeToken)), "[]")
	if out := logs.String(); strings.Contains(out, shapeToken) || strings.Contains(out, asBytes) || !strings.Contains(out, "e1") {
		t.Fatalf("want the envelope id and not its content in the log, got:\n%s", out)
	}
	if len(acks.acks) != 0 {
		t.Fatalf("acknowledged %v: Slack would not send it again", acks.acks)
	}
}
