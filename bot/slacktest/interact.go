package slacktest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// ClickButton has user press the button with actionID on a message the bot
// posted, and sends the block_actions interaction Slack would send, with the
// message as it is now. It fails when the message or the button is not
// there, which is itself worth asserting. The envelope id is for WaitAck.
func (s *Server) ClickButton(ctx context.Context, user, channel, ts, actionID string) (string, error) {
	cb, err := s.ButtonClick(user, channel, ts, actionID)
	if err != nil {
		return "", err
	}
	return s.SendInteraction(ctx, cb)
}

// ButtonClick builds the block_actions interaction Slack sends when user presses
// the button with actionID on a message, with a response URL bound to it, for
// tests that deliver it themselves (over HTTP, signed).
func (s *Server) ButtonClick(user, channel, ts, actionID string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessageLocked(channel, ts)
	if m == nil {
		return slack.InteractionCallback{}, fmt.Errorf("slacktest: no message %s in %s", ts, channel)
	}
	act, err := findButton(m.Blocks, actionID)
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slacktest: message %s in %s: %w", ts, channel, err)
	}
	var msg slack.Message
	raw, err := json.Marshal(s.messageJSON(m))
	if err == nil {
		err = json.Unmarshal(raw, &msg)
	}
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slacktest: message %s in %s as slack.Message: %w", ts, channel, err)
	}
	act.ActionTs = s.nextTSLocked()
	// As Slack sends it over HTTP too: team, app and the user's name included.
	return slack.InteractionCallback{
		Type:           slack.InteractionTypeBlockActions,
		User:           slack.User{ID: user, Name: s.users[user].Name},
		Team:           slack.Team{ID: s.cfg.teamID},
		APIAppID:       s.cfg.appID,
		Channel:        slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: channel}}},
		Container:      slack.Container{Type: "message", MessageTs: ts, ChannelID: channel, ThreadTs: m.ThreadTS},
		Message:        msg,
		ResponseURL:    s.responseURLForLocked(channel, user, ts),
		TriggerID:      s.newTriggerLocked(user),
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{act}},
	}, nil
}

// ClickViewButton has user press the button with actionID in a modal or Home
// tab on their screen and sends the block_actions interaction.
func (s *Server) ClickViewButton(ctx context.Context, user, viewID, actionID string) (string, error) {
	cb, err := s.ViewButtonClick(user, viewID, actionID)
	if err != nil {
		return "", err
	}
	return s.SendInteraction(ctx, cb)
}

// ViewButtonClick builds the block_actions interaction Slack sends when user
// presses the button with actionID in a modal or Home tab on their screen,
// with the view as it is now and a fresh trigger_id, for tests that deliver
// it themselves (over HTTP, signed). Like Slack, it carries no response URL.
func (s *Server) ViewButtonClick(user, viewID, actionID string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[viewID]
	if v == nil || v.User != user || !s.viewIsShownLocked(v) {
		return slack.InteractionCallback{}, fmt.Errorf("slacktest: view %s is not on %s's screen", viewID, user)
	}
	act, err := findButton(v.Blocks, actionID)
	if err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("slacktest: view %s: %w", viewID, err)
	}
	cb, err := s.viewInteractionLocked(slack.InteractionTypeBlockActions, user, v, nil)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	act.ActionTs = s.nextTSLocked()
	cb.Team.Domain = "cakegate-test"
	cb.Container = slack.Container{Type: "view", ViewID: viewID}
	cb.ActionCallback = slack.ActionCallbacks{BlockActions: []*slack.BlockAction{act}}
	return cb, nil
}

// SubmitView has user press Submit on the modal on top of their screen, with
// values as view.state.values (block_id → action_id → value), and sends the
// view_submission interaction. The ack then acts like Slack's: see WaitAck.
func (s *Server) SubmitView(ctx context.Context, user string, values map[string]map[string]slack.BlockAction) (string, error) {
	s.mu.Lock()
	_, err := s.topModalLocked(user)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	return s.SendInteraction(ctx, slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission,
		User: slack.User{ID: user},
		View: slack.View{State: &slack.ViewState{Values: values}},
	})
}

// findButton finds a button by action_id in actions blocks and section
// accessories, and describes the press as Slack does.
func findButton(raw json.RawMessage, actionID string) (*slack.BlockAction, error) {
	var blocks []map[string]any
	_ = json.Unmarshal(raw, &blocks)
	for _, b := range blocks {
		blockID, _ := b["block_id"].(string)
		var candidates []any
		if els, isArray := b["elements"].([]any); isArray && b["type"] == "actions" {
			candidates = els
		}
		if acc, has := b["accessory"]; has {
			candidates = append(candidates, acc)
		}
		for _, c := range candidates {
			e, _ := c.(map[string]any)
			if e["type"] != "button" || e["action_id"] != actionID {
				continue
			}
			value, _ := e["value"].(string)
			text, _ := e["text"].(map[string]any)
			label, _ := text["text"].(string)
			return &slack.BlockAction{
				ActionID: actionID, BlockID: blockID, Type: "button", Value: value,
				Text: slack.TextBlockObject{Type: slack.PlainTextType, Text: label},
			}, nil
		}
	}
	return nil, fmt.Errorf("no button with action_id %q", actionID)
}
