package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"
)

// Socket Mode envelope types, as slack-go's socketmode package reads them.
const (
	envSlashCommand = "slash_commands"
	envInteractive  = "interactive"
	envEventsAPI    = "events_api"
)

// ackDeadline is how long Slack waits for an ack before it shows the user an
// error (or, for events, retries).
const ackDeadline = 3 * time.Second

// maxAckSize is the size from which Slack silently drops an ack.
const maxAckSize = 20 * 1024

// envelope is one Socket Mode request sent to the bot, and its ack.
type envelope struct {
	ID                     string
	Type                   string
	Payload                json.RawMessage
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
	Sent                   time.Time
	sentWall               time.Time

	// where the request came from, to show an ack payload like Slack would
	channel, user, interaction, viewID string

	acked      bool
	ackPayload json.RawMessage
	ackLate    time.Duration // > 0 when the ack came after ackDeadline
	ackProblem string        // why Slack would not accept the ack payload
	dropped    int           // size of an ack Slack would drop as too large
}

func (e *envelope) wire() map[string]any {
	return map[string]any{
		"envelope_id":              e.ID,
		"type":                     e.Type,
		"payload":                  e.Payload,
		"accepts_response_payload": e.AcceptsResponsePayload,
		"retry_attempt":            e.RetryAttempt,
		"retry_reason":             e.RetryReason,
	}
}

func (s *Server) newEnvelopeLocked(typ string, payload any, accepts bool) (*envelope, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("slacktest: encoding %s payload: %w", typ, err)
	}
	n := s.nextIDLocked()
	return &envelope{
		ID:   fmt.Sprintf("%08x-%04x-4%03x-8000-%012x", uint32(n)*2654435761, n&0xffff, n&0xfff, n),
		Type: typ, Payload: raw, AcceptsResponsePayload: accepts,
	}, nil
}

// SendSlashCommand delivers a slash command over Socket Mode and returns its
// envelope id for WaitAck. Fields left empty are filled as Slack fills them:
// team, app, user name (from AddUser), a fresh trigger_id for the user and a
// response URL bound to the channel and user.
func (s *Server) SendSlashCommand(ctx context.Context, cmd slack.SlashCommand) (string, error) {
	s.mu.Lock()
	if cmd.TeamID == "" {
		cmd.TeamID, cmd.TeamDomain = s.cfg.teamID, "cakegate-test"
	}
	if cmd.APIAppID == "" {
		cmd.APIAppID = s.cfg.appID
	}
	if cmd.UserName == "" {
		cmd.UserName = s.users[cmd.UserID].Name
	}
	if cmd.ChannelName == "" {
		cmd.ChannelName = s.channels[cmd.ChannelID]
		if len(cmd.ChannelID) > 0 && cmd.ChannelID[0] == 'D' {
			cmd.ChannelName = "directmessage"
		}
	}
	if cmd.TriggerID == "" {
		cmd.TriggerID = s.newTriggerLocked(cmd.UserID)
	}
	if cmd.ResponseURL == "" {
		cmd.ResponseURL = s.responseURLForLocked(cmd.ChannelID, cmd.UserID, "")
	}
	env, err := s.newEnvelopeLocked(envSlashCommand, cmd, true)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	env.channel, env.user = cmd.ChannelID, cmd.UserID
	return env.ID, s.deliver(ctx, env)
}

// SendInteraction delivers an interaction (block_actions, view_submission,
// shortcut, …) over Socket Mode and returns its envelope id. Empty fields are
// filled like Slack: team and app, a trigger_id for the user, a response URL
// bound to the message for block actions on a message, and for view
// submissions the user's current modal (keeping any View.State given).
func (s *Server) SendInteraction(ctx context.Context, cb slack.InteractionCallback) (string, error) {
	s.mu.Lock()
	if cb.Team.ID == "" {
		cb.Team.ID, cb.Team.Domain = s.cfg.teamID, "cakegate-test"
	}
	if cb.APIAppID == "" {
		cb.APIAppID = s.cfg.appID
	}
	if cb.User.Name == "" {
		cb.User.Name = s.users[cb.User.ID].Name
	}
	if cb.TriggerID == "" && cb.Type != slack.InteractionTypeViewClosed && cb.Type != slack.InteractionTypeBlockSuggestion {
		cb.TriggerID = s.newTriggerLocked(cb.User.ID)
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	msgTS := cb.Container.MessageTs
	if msgTS == "" {
		msgTS = cb.Message.Timestamp
	}
	if cb.ResponseURL == "" && channel != "" && cb.Type == slack.InteractionTypeBlockActions {
		cb.ResponseURL = s.responseURLForLocked(channel, cb.User.ID, msgTS)
	}
	if (cb.Type == slack.InteractionTypeViewSubmission || cb.Type == slack.InteractionTypeViewClosed) && cb.View.ID == "" {
		if stack := s.modals[cb.User.ID]; len(stack) > 0 {
			if err := s.fillViewLocked(&cb.View, s.views[stack[len(stack)-1]]); err != nil {
				s.mu.Unlock()
				return "", err
			}
		}
	}
	accepts := cb.Type == slack.InteractionTypeViewSubmission || cb.Type == slack.InteractionTypeBlockSuggestion
	env, err := s.newEnvelopeLocked(envInteractive, &cb, accepts)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	env.channel, env.user, env.interaction, env.viewID = channel, cb.User.ID, string(cb.Type), cb.View.ID
	return env.ID, s.deliver(ctx, env)
}

// fillViewLocked sets dst to v as Slack describes it in interactions.
func (s *Server) fillViewLocked(dst *slack.View, v *View) error {
	state := dst.State
	raw, err := json.Marshal(s.viewJSON(v))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("slacktest: view %s as slack.View: %w", v.ID, err)
	}
	if state != nil {
		dst.State = state
	}
	return nil
}

// EventCallback wraps an Events API event in the event_callback envelope
// Slack sends (team, app, a fresh event_id, event_time, authorizations): the
// body of an HTTP-mode event request, and the payload SendEvent delivers.
func (s *Server) EventCallback(inner json.RawMessage) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(s.eventCallbackLocked(inner))
}

func (s *Server) eventCallbackLocked(inner json.RawMessage) map[string]any {
	return map[string]any{
		"token": "", "team_id": s.cfg.teamID, "api_app_id": s.cfg.appID,
		"event": inner, "type": "event_callback",
		"event_id":   fmt.Sprintf("Ev%08d", s.nextIDLocked()),
		"event_time": s.now().Unix(),
		"authorizations": []map[string]any{{
			"team_id": s.cfg.teamID, "user_id": s.cfg.botUserID, "is_bot": true,
		}},
		"is_ext_shared_channel": false, "event_context": "4-slacktest",
	}
}

// SendEvent delivers an Events API event over Socket Mode, wrapped as
// EventCallback wraps it, and returns the envelope id.
// inner is the event itself, e.g. {"type":"app_home_opened","user":"U1",…}.
func (s *Server) SendEvent(ctx context.Context, inner json.RawMessage) (string, error) {
	s.mu.Lock()
	env, err := s.newEnvelopeLocked(envEventsAPI, s.eventCallbackLocked(inner), false)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	return env.ID, s.deliver(ctx, env)
}

// RedeliverEvent sends an envelope's payload again in a new envelope with
// retry_attempt one higher and retry_reason reason (Slack uses "timeout"), as
// Slack does for an event it saw no ack for. The event_id stays the same.
func (s *Server) RedeliverEvent(ctx context.Context, envelopeID, reason string) (string, error) {
	s.mu.Lock()
	old, found := s.sock.envelopes[envelopeID]
	if !found {
		s.mu.Unlock()
		return "", fmt.Errorf("slacktest: no envelope %s", envelopeID)
	}
	env, err := s.newEnvelopeLocked(old.Type, old.Payload, old.AcceptsResponsePayload)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	env.RetryAttempt, env.RetryReason = old.RetryAttempt+1, reason
	env.channel, env.user, env.interaction, env.viewID = old.channel, old.user, old.interaction, old.viewID
	return env.ID, s.deliver(ctx, env)
}

// ReplayEnvelope sends an envelope again exactly as it was, with the same envelope id: what a
// replay looks like, or a Slack that repeats itself. An app should ack it and drop it.
func (s *Server) ReplayEnvelope(ctx context.Context, envelopeID string) error {
	s.mu.Lock()
	old, found := s.sock.envelopes[envelopeID]
	if !found {
		s.mu.Unlock()
		return fmt.Errorf("slacktest: no envelope %s", envelopeID)
	}
	env := *old
	env.acked, env.ackPayload, env.ackLate, env.ackProblem, env.dropped = false, nil, 0, "", 0
	s.mu.Unlock()
	return s.deliver(ctx, &env)
}

// WaitAck waits for the bot to ack an envelope and returns the ack's payload
// (nil when it had none). It fails when ctx ends first, when the ack came
// after Slack's 3 s, or when Slack would not accept the payload (invalid
// blocks, errors for blocks that are not input blocks, 20 KB or more); the
// payload is returned with those errors too.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (json.RawMessage, error) {
	var env envelope
	err := s.WaitFor(ctx, func(s *Server) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		e, found := s.sock.envelopes[envelopeID]
		if found {
			env = *e
		}
		return !found || e.acked
	})
	switch {
	case err != nil && env.dropped > 0:
		return nil, fmt.Errorf("slacktest: ack of envelope %s was %d bytes; Slack drops acks of %d bytes or more", envelopeID, env.dropped, maxAckSize)
	case err != nil:
		return nil, fmt.Errorf("slacktest: waiting for ack of envelope %s: %w", envelopeID, err)
	case env.ID == "":
		return nil, fmt.Errorf("slacktest: no envelope %s was sent", envelopeID)
	case env.ackLate > 0:
		return env.ackPayload, fmt.Errorf("slacktest: envelope %s acked after %v; Slack gives up after %v", envelopeID, env.ackLate, ackDeadline)
	case env.ackProblem != "":
		return env.ackPayload, fmt.Errorf("slacktest: ack of envelope %s: %s", envelopeID, env.ackProblem)
	}
	return env.ackPayload, nil
}

// receiveAck records an ack read from a connection and applies its payload.
func (s *Server) receiveAck(data []byte) {
	var ack struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(data, &ack) != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	env, found := s.sock.envelopes[ack.EnvelopeID]
	if !found || env.acked {
		return
	}
	if len(data) >= maxAckSize {
		env.dropped = len(data)
		s.notifyLocked()
		return
	}
	env.acked = true
	if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		env.ackPayload = ack.Payload
	}
	if late := time.Since(env.sentWall); late > ackDeadline {
		env.ackLate = late
	}
	env.ackProblem = s.applyAckLocked(env)
	s.notifyLocked()
}
