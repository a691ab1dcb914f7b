package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// ErrShuttingDown refuses work that arrives while the bot is stopping.
var ErrShuttingDown = errors.New("cakegate is restarting; try again in a minute")

// acceptInteraction takes a verified interaction. It returns what to answer Slack with at
// once (nil for a plain acknowledgement); the work on button clicks happens afterwards.
func (b *Bot) acceptInteraction(cb slack.InteractionCallback) (any, error) {
	if b.foreign("interaction", cb.Team.ID, cb.APIAppID, cb.Enterprise.ID) {
		return nil, ErrForeign
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil, nil
		}
		if !b.async(func(ctx context.Context) { b.handleActions(ctx, cb) }) {
			// Not acknowledging makes Slack show the person their click failed, so they
			// click again once cakegate is back, instead of thinking it worked.
			return nil, ErrShuttingDown
		}
		return nil, nil
	case slack.InteractionTypeViewSubmission:
		var resp *slack.ViewSubmissionResponse
		switch cb.View.CallbackID {
		case extendCallbackID:
			resp = b.submitExtend(cb)
		case requestCallbackID:
			resp = b.submitRequest(cb)
		case denyCallbackID:
			resp = b.submitDeny(cb)
		case adoptCallbackID:
			resp = b.submitAdopt(cb)
		}
		if resp != nil {
			return resp, nil
		}
		return nil, nil
	case slack.InteractionTypeBlockSuggestion:
		if cb.ActionID == devicesActionID {
			return b.suggestDevices(cb), nil
		}
		return slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}, nil
	case slack.InteractionTypeShortcut:
		if cb.CallbackID == requestCallbackID {
			to := replyTo{user: cb.User.ID}
			b.async(func(ctx context.Context) { b.openRequestModal(ctx, to, cb.TriggerID, cb.User.ID) })
		}
		return nil, nil
	}
	return nil, nil
}

// handleActions runs the buttons clicked in one interaction.
func (b *Bot) handleActions(ctx context.Context, cb slack.InteractionCallback) {
	to := replyTo{responseURL: cb.ResponseURL, channel: cb.Channel.ID, user: cb.User.ID}
	for _, a := range cb.ActionCallback.BlockActions {
		switch {
		case a.ActionID == roleActionID && cb.View.CallbackID == requestCallbackID:
			b.updateRequestModal(ctx, cb, a.SelectedOption.Value)
			continue
		case a.ActionID == templateActionID && cb.View.CallbackID == requestCallbackID:
			b.chooseTemplate(ctx, cb, a.SelectedOption.Value)
			continue
		case a.ActionID == ActionOpenRequest:
			b.openRequestModal(ctx, to, cb.TriggerID, cb.User.ID)
			continue
		case isQuickRequest(a.ActionID):
			b.openQuickRequest(ctx, to, cb.TriggerID, cb.User.ID, a.Value)
		case isReviewAction(a.ActionID):
			b.reviewAction(ctx, to, cb.TriggerID, cb.User.ID, a)
			continue
		case a.ActionID == ActionRemindApprovers:
			b.remindApprovers(ctx, cb, to, a.Value)
			continue
		case a.ActionID == ActionReveal || a.ActionID == ActionReissue:
			id, err := commands.ParseRequestID(a.Value)
			if err != nil {
				b.replyError(ctx, to, err)
				continue
			}
			if a.ActionID == ActionReveal {
				b.reveal(ctx, to, cb.TriggerID, id, cb.User.ID)
			} else {
				b.reissue(ctx, to, cb.View.ID, id, cb.User.ID)
			}
			continue
		}
		verb, ok := actionVerbs[a.ActionID]
		if !ok {
			continue
		}
		id, version, err := parseButtonValue(a.Value)
		if err != nil {
			b.replyError(ctx, to, err)
			continue
		}
		// What the button showed must still be what the request is, or the click acts on
		// something the person never saw.
		ctx := commands.AsSeen(ctx, version)
		if isHomeClick(cb) {
			b.handleHomeAction(ctx, cb, verb, id)
			continue
		}
		switch verb {
		case VerbExtend:
			b.openExtendModal(ctx, to, cb.TriggerID, id, cb.User.ID)
			continue
		case VerbDeny:
			b.openDenyModal(ctx, to, cb.TriggerID, id, cb.User.ID)
			continue
		}
		b.decide(ctx, to, verb, id, cb.User.ID, Command{Verb: verb, ID: id})
	}
}

// actionVerbs maps button action ids to what they do.
var actionVerbs = map[string]Verb{
	ActionApprove: VerbApprove,
	ActionDeny:    VerbDeny,
	ActionRevoke:  VerbRevoke,
	ActionExtend:  VerbExtend,
	ActionCancel:  VerbCancel,
}
