package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// ViewSubmission builds the view_submission interaction Slack sends when user
// presses Submit on the modal on top of their screen, with values as
// view.state.values (block_id → action_id → value), for tests that deliver it
// themselves over HTTP. AnswerViewSubmission then applies the app's answer.
func (s *Server) ViewSubmission(user string, values map[string]map[string]slack.BlockAction) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.topModalLocked(user)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	return s.viewInteractionLocked(slack.InteractionTypeViewSubmission, user, v, &slack.ViewState{Values: values})
}

// AnswerViewSubmission acts on an app's HTTP answer to a view submission as
// Slack does: an empty body or no response_action closes the modal, "errors"
// are shown in it (and returned), "update", "push" and "clear" change the
// stack. It fails where Slack would refuse the answer, e.g. an errors key that
// is not an input block.
func (s *Server) AnswerViewSubmission(cb slack.InteractionCallback, body []byte) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := &envelope{Type: envInteractive, interaction: string(slack.InteractionTypeViewSubmission), user: cb.User.ID, viewID: cb.View.ID}
	if len(body) > 0 {
		env.ackPayload = json.RawMessage(body)
	}
	if problem := s.applyAckLocked(env); problem != "" {
		return nil, errors.New("slacktest: Slack would not accept this answer: " + problem)
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if len(body) > 0 {
		_ = json.Unmarshal(body, &resp)
	}
	if resp.ResponseAction == "errors" {
		return resp.Errors, nil
	}
	return nil, nil
}

// topModalLocked returns the modal on top of user's screen.
func (s *Server) topModalLocked(user string) (*View, error) {
	stack := s.modals[user]
	if len(stack) == 0 {
		return nil, fmt.Errorf("slacktest: %s has no modal open", user)
	}
	return s.views[stack[len(stack)-1]], nil
}

// viewInteractionLocked builds an interaction of type typ by user on view v, with what
// Slack sends with every one: team, app, the user's name, v as it is now with state (nil
// keeps v's own, which is empty), and a fresh trigger_id unless typ is block_suggestion.
func (s *Server) viewInteractionLocked(typ slack.InteractionType, user string, v *View, state *slack.ViewState) (slack.InteractionCallback, error) {
	cb := slack.InteractionCallback{
		Type:     typ,
		User:     slack.User{ID: user, Name: s.users[user].Name},
		Team:     slack.Team{ID: s.cfg.teamID},
		APIAppID: s.cfg.appID,
		View:     slack.View{State: state},
	}
	if typ != slack.InteractionTypeBlockSuggestion {
		cb.TriggerID = s.newTriggerLocked(user)
	}
	if err := s.fillViewLocked(&cb.View, v); err != nil {
		return slack.InteractionCallback{}, err
	}
	return cb, nil
}

// ModalSelect builds the block_actions interaction Slack sends when user picks
// value in the select actionID of block blockID on their top modal, when that
// input dispatches actions.
func (s *Server) ModalSelect(user, blockID, actionID, value string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.topModalLocked(user)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	cb, err := s.viewInteractionLocked(slack.InteractionTypeBlockActions, user, v, &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}})
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	cb.Container = slack.Container{Type: "view", ViewID: v.ID}
	cb.ActionCallback = slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{
		ActionID: actionID, BlockID: blockID, Type: "static_select",
		SelectedOption: slack.OptionBlockObject{Value: value},
		ActionTs:       s.nextTSLocked(),
	}}}
	return cb, nil
}

// BlockSuggestion builds the block_suggestion interaction Slack sends as user
// types query into the external select actionID of their top modal.
func (s *Server) BlockSuggestion(user, blockID, actionID, query string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.topModalLocked(user)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	cb, err := s.viewInteractionLocked(slack.InteractionTypeBlockSuggestion, user, v, &slack.ViewState{Values: map[string]map[string]slack.BlockAction{}})
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	cb.Container = slack.Container{Type: "view", ViewID: v.ID}
	cb.BlockID, cb.ActionID, cb.Value = blockID, actionID, query
	return cb, nil
}

// ModalOpen returns the modal on top of user's screen, if any.
func (s *Server) ModalOpen(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.topModalLocked(user)
	if err != nil || v == nil {
		return View{}, false
	}
	return *v, true
}
