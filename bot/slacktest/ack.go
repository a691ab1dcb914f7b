package slacktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/slack-go/slack"
)

// applyAckLocked makes an ack's payload visible the way Slack does and returns
// why Slack would not accept it, or "".
func (s *Server) applyAckLocked(env *envelope) string {
	switch {
	case env.Type == envSlashCommand && env.ackPayload != nil:
		return s.applyCommandAckLocked(env)
	case env.Type == envInteractive && env.interaction == string(slack.InteractionTypeViewSubmission):
		return s.applySubmissionAckLocked(env)
	}
	// Slack ignores ack payloads of events and other interactions.
	return ""
}

// applyCommandAckLocked shows a slash command's ack payload as the response:
// to the user alone unless response_type is in_channel.
func (s *Server) applyCommandAckLocked(env *envelope) string {
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	if err := json.Unmarshal(env.ackPayload, &msg); err != nil {
		return fmt.Sprintf("payload is not a message: %v", err)
	}
	c, res := payloadContent(msg.Text, msg.Blocks)
	if res.err != "" {
		return fmt.Sprintf("%s %v", res.err, res.problems)
	}
	if c.empty() {
		return ""
	}
	if msg.ResponseType == "in_channel" {
		channel, _, code := s.resolveChannelLocked(env.channel)
		if code != "" {
			return code
		}
		s.postLocked(channel, "", c)
		return ""
	}
	s.showEphemeralLocked(env.channel, env.user, "ack", c)
	return ""
}

// applySubmissionAckLocked acts on a view_submission ack: an empty ack closes
// the submitted view, and response_action clear, update, push or errors do
// what Slack does with them.
func (s *Server) applySubmissionAckLocked(env *envelope) string {
	var resp struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if env.ackPayload != nil {
		if err := json.Unmarshal(env.ackPayload, &resp); err != nil {
			return fmt.Sprintf("payload is not a view submission response: %v", err)
		}
	}
	stack := s.modals[env.user]
	at := slices.Index(stack, env.viewID)
	switch resp.ResponseAction {
	case "":
		if at >= 0 {
			s.modals[env.user] = stack[:at]
		}
	case "clear":
		delete(s.modals, env.user)
	case "errors":
		return s.checkSubmissionErrorsLocked(env.viewID, resp.Errors)
	case "update", "push":
		def, blocks, problems, err := validateView(string(resp.View), "modal")
		switch {
		case err != nil:
			return err.Error()
		case len(problems) > 0:
			return fmt.Sprintf("invalid view %v", problems)
		case at < 0:
			return fmt.Sprintf("view %q is not open", env.viewID)
		}
		if resp.ResponseAction == "update" {
			s.updateViewLocked(s.views[env.viewID], def, blocks)
			return ""
		}
		if len(stack) >= maxModalStack {
			return "push_limit_reached"
		}
		s.pushViewLocked(env.user, def, blocks)
	default:
		return fmt.Sprintf("unknown response_action %q", resp.ResponseAction)
	}
	return ""
}

// checkSubmissionErrorsLocked checks that every key of a response_action
// errors names an input block of the view; for any other key Slack shows the
// user "We had some trouble connecting" instead of the message.
func (s *Server) checkSubmissionErrorsLocked(viewID string, errs map[string]string) string {
	v := s.views[viewID]
	if v == nil {
		return fmt.Sprintf("errors for view %q, which the fake never showed", viewID)
	}
	if len(errs) == 0 {
		return "response_action errors without errors"
	}
	var blocks []map[string]any
	_ = json.Unmarshal(v.Blocks, &blocks)
	inputs := map[string]bool{}
	for _, b := range blocks {
		if id, _ := b["block_id"].(string); b["type"] == "input" && id != "" {
			inputs[id] = true
		}
	}
	for _, key := range slices.Sorted(maps.Keys(errs)) {
		if !inputs[key] {
			return fmt.Sprintf("errors key %q is not the block_id of an input block of view %s: Slack shows \"We had some trouble connecting\"", key, viewID)
		}
	}
	return ""
}
