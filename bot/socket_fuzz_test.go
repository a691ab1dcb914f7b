package bot

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

type noDevices struct{}

func (noDevices) Devices(context.Context, string) ([]commands.Device, error) { return nil, nil }

// ackRecorder stands in for the Socket Mode connection: it records acks.
type ackRecorder struct {
	mu   sync.Mutex
	acks []string
}

func (a *ackRecorder) Ack(req socketmode.Request, _ ...any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.acks = append(a.acks, req.EnvelopeID)
	return nil
}

// socketEvent decodes a Socket Mode frame as slack-go's reader does (parseEvent), or
// reports false where slack-go would drop it before cakegate sees it.
func socketEvent(frame []byte) (socketmode.Event, bool) {
	// What slack-go cannot decode it reports as such, with the frame.
	undecoded := func(err error) (socketmode.Event, bool) {
		return socketmode.Event{Type: socketmode.EventTypeErrorBadMessage, Data: &socketmode.ErrorBadMessage{Cause: err, Message: frame}}, true
	}
	var req socketmode.Request
	if err := json.Unmarshal(frame, &req); err != nil {
		return undecoded(err)
	}
	switch req.Type {
	case socketmode.RequestTypeEventsAPI:
		ev, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			return undecoded(err)
		}
		return socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: &req}, true
	case socketmode.RequestTypeSlashCommands:
		var sc slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &sc); err != nil {
			return undecoded(err)
		}
		return socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc, Request: &req}, true
	case socketmode.RequestTypeInteractive:
		var cb slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			return undecoded(err)
		}
		return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: cb, Request: &req}, true
	}
	return socketmode.Event{}, false
}

// FuzzSocketPayloads feeds arbitrary Socket Mode frames through the reader's handler, as the
// HTTP fuzz test does for the HTTP endpoints: whatever they hold, nothing panics (a panic
// here is not recovered: the test fails on it).
func FuzzSocketPayloads(f *testing.F) {
	fake := slacktest.New()
	fake.Start()
	f.Cleanup(fake.Close)
	store := commandstest.NewStore()
	svc := &commands.Service{
		Policy: &commands.Policy{
			Workspace: "ws", ApprovalsChannel: "C1", Approvers: []string{"U1"}, AllRequesters: true,
			Location: time.UTC, RoleOrder: []string{"viewer"},
			Roles: map[string]*commands.Role{"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true}, MaxDuration: time.Hour, DefaultDuration: time.Hour, Approvals: 1}},
		},
		Store: store, AuditLog: store, Clock: commands.SystemClock{}, Devices: noDevices{},
	}
	b := New(Config{
		Service: svc, Slack: slack.New(slacktest.DefaultBotToken, slack.OptionAPIURL(fake.URL())),
		Requests: store, Outbox: store, WorkTimeout: 5 * time.Second,
		OnPanic: func(where string) { panic("a panic was recovered in " + where) },
	})
	svc.Groups = b
	f.Cleanup(func() {
		b.Shutdown(context.Background())
	})
	seeds := []string{
		`{"envelope_id":"e1","type":"slash_commands","payload":{"command":"/cakegate","text":"help","user_id":"U2"}}`,
		`{"envelope_id":"e2","type":"interactive","payload":{"type":"view_submission","user":{"id":"U2"},"view":{"callback_id":"cakegate_extend","private_metadata":"R1"}}}`,
		`{"envelope_id":"e3","type":"interactive","payload":{"type":"view_submission","user":{"id":"U2"},"view":{"callback_id":"cakegate_deny","private_metadata":"R1"}}}`,
		`{"envelope_id":"e4","type":"interactive","payload":{"type":"view_submission","user":{"id":"U2"},"view":{"callback_id":"cakegate_request","state":{"values":{}}}}}`,
		`{"envelope_id":"e5","type":"interactive","payload":{"type":"block_suggestion","user":{"id":"U2"},"action_id":"devices","value":"x","view":{"private_metadata":"viewer"}}}`,
		`{"envelope_id":"e6","type":"interactive","payload":{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"cakegate_approve","value":"R1"}]}}`,
		`{"envelope_id":"e7","type":"events_api","payload":{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":"U2","tab":"home"}}}`,
		`{"envelope_id":"e8","type":"events_api","payload":{"type":"event_callback","event":{"type":"message","text":"x","channel":"C1"}}}`,
		// slack-go cannot decode it (a number where it reads a string); the scan reads it all the same.
		`{"envelope_id":"e9","type":"events_api","payload":{"type":"event_callback","event_id":"Ev9","event":{"type":"message","text":"x","channel":"C1","files":[{"size":"1"}]}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		evt, ok := socketEvent(frame)
		if !ok {
			return
		}
		b.handleSocketEvent(&ackRecorder{}, evt)
	})
}
