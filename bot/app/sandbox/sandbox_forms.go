package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
)

// Forms in the sandbox: what a person does with cakegate's modals, delivered over HTTP
// (signed) or Socket Mode like the rest of the sandbox.

// interact delivers an interaction and returns cakegate's immediate answer: the HTTP
// response body, or the Socket Mode ack payload.
func (s *sandbox) interact(ctx context.Context, cb slack.InteractionCallback) ([]byte, error) {
	if s.socket {
		id, err := s.slack.SendInteraction(ctx, cb)
		if err != nil {
			return nil, err
		}
		payload, err := s.slack.WaitAck(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("interaction not acknowledged: %w", err)
		}
		return payload, nil
	}
	if cb.Team.ID == "" {
		cb.Team.ID = slacktest.DefaultTeamID // Slack names the team in every interaction
	}
	body, err := slacktest.InteractionForm(cb)
	if err != nil {
		return nil, err
	}
	req, err := slacktest.SignedRequest(s.baseURL+"/slack/interactions", body, sandboxSecret, time.Now())
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/slack/interactions answered %s: %s", resp.Status, answer)
	}
	return answer, nil
}

// waitModal waits until user has a modal with callbackID open.
func (s *sandbox) waitModal(ctx context.Context, user, callbackID string) (slacktest.View, error) {
	var v slacktest.View
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		m, ok := srv.ModalOpen(user)
		if ok && m.CallbackID == callbackID {
			v = m
			return true
		}
		return false
	})
	if err != nil {
		return v, fmt.Errorf("modal %s for %s: %w", callbackID, user, err)
	}
	return v, nil
}

// selectInModal has user pick value in a select of their top modal that dispatches actions.
func (s *sandbox) selectInModal(ctx context.Context, user, blockID, actionID, value string) error {
	cb, err := s.slack.ModalSelect(user, blockID, actionID, value)
	if err != nil {
		return err
	}
	_, err = s.interact(ctx, cb)
	return err
}

// suggest has user type query into an external select of their top modal and returns the
// options cakegate offers.
func (s *sandbox) suggest(ctx context.Context, user, blockID, actionID, query string) ([]*slack.OptionBlockObject, error) {
	cb, err := s.slack.BlockSuggestion(user, blockID, actionID, query)
	if err != nil {
		return nil, err
	}
	answer, err := s.interact(ctx, cb)
	if err != nil {
		return nil, err
	}
	var resp slack.OptionsResponse
	if err := json.Unmarshal(answer, &resp); err != nil {
		return nil, fmt.Errorf("options answer %q: %w", answer, err)
	}
	return resp.Options, nil
}

// submit has user press Submit on their top modal with values (block id → action id →
// value) and returns the errors cakegate shows in the form, if any.
func (s *sandbox) submit(ctx context.Context, user string, values map[string]map[string]slack.BlockAction) (map[string]string, error) {
	cb, err := s.slack.ViewSubmission(user, values)
	if err != nil {
		return nil, err
	}
	answer, err := s.interact(ctx, cb)
	if err != nil {
		return nil, err
	}
	if s.socket {
		// The fake applied the ack like Slack; read the errors from the payload.
		var resp struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if len(answer) > 0 && string(answer) != "null" {
			_ = json.Unmarshal(answer, &resp)
		}
		return resp.Errors, nil
	}
	return s.slack.AnswerViewSubmission(cb, answer)
}
