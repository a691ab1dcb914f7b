package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// The deny form asks the approver for an optional reason, which the requester is shown.
const (
	denyCallbackID = "cakegate_deny"
	denyBlockID    = "reason"
	denyActionID   = "reason"
)

// openDenyModal asks approver for a reason to deny request id, after checking they may
// decide on it at all, so nobody fills in a form only to be refused.
func (b *Bot) openDenyModal(ctx context.Context, to replyTo, triggerID string, id commands.RequestID, approver string) {
	r, err := b.svc.MayDecide(ctx, id, approver)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	what := fmt.Sprintf("Deny *%s*: %s asks for role %s for %s.", r.ID, commands.Mention(r.Requester), escapeMrkdwn(r.Role), commands.FormatDuration(r.Duration))
	if r.State == commands.StateActive && r.Extension != nil {
		what = fmt.Sprintf("Deny extending *%s* by %s.", r.ID, commands.FormatDuration(r.Extension.Duration))
	}
	input := slack.NewPlainTextInputBlockElement(plainText("Optional"), denyActionID)
	input.Multiline = true
	input.MaxLength = commands.MaxReasonLength
	reason := slack.NewInputBlock(denyBlockID, plainText("Reason, shown to the requester"), nil, input)
	reason.Optional = true
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      denyCallbackID,
		PrivateMetadata: buttonValue(r),
		Title:           plainText("Deny " + truncateRunes(id.String(), 18)),
		Submit:          plainText("Deny"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncateRunes(what, 3000), false, false), nil, nil),
			reason,
		}},
	}
	if _, err := b.slack.OpenViewContext(ctx, triggerID, view); err != nil {
		b.log.Warn("open deny form", "request", id.String(), "err", err)
		b.replyText(ctx, to, fmt.Sprintf("The form could not be opened; type `%s deny %s your reason` instead.", b.name, id))
	}
}

// submitDeny denies the request within Slack's 3 seconds (Deny only writes the store); a
// refusal, such as a decision someone else made meanwhile, is shown in the form.
func (b *Bot) submitDeny(cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	id, version, err := parseButtonValue(cb.View.PrivateMetadata)
	if err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{denyBlockID: b.named("This form is out of date; use /cakegate deny instead.")})
	}
	reason := ""
	if cb.View.State != nil {
		reason = cb.View.State.Values[denyBlockID][denyActionID].Value
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	ctx = commands.AsSeen(ctx, version)
	if _, err := b.svc.Deny(ctx, id, cb.User.ID, reason); err != nil {
		b.warn(cb.User.ID, b.named(commands.UserMessage(err)))
		return slack.NewErrorsViewSubmissionResponse(map[string]string{denyBlockID: truncateRunes(b.named(commands.UserMessage(err)), 300)})
	}
	b.Kick()
	return nil
}
