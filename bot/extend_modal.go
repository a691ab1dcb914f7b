package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// The extend modal: opened by the Extend button of a reminder, it asks for how much longer.
const (
	extendCallbackID = "cakegate_extend"
	extendBlockID    = "duration"
	extendActionID   = "duration"
)

// extendChoices are the durations the modal offers, as far as the role's maximum allows.
var extendChoices = []time.Duration{time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour}

// openExtendModal shows the extend modal for request id to user, or explains privately why
// it cannot be extended.
func (b *Bot) openExtendModal(ctx context.Context, to replyTo, triggerID string, id commands.RequestID, user string) {
	r, role, room, err := b.svc.ExtensionRoom(ctx, id, user)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	var options []*slack.OptionBlockObject
	for _, d := range extendChoices {
		if d <= room {
			label := commands.FormatDuration(d) + " more"
			options = append(options, slack.NewOptionBlockObject(commands.FormatDuration(d), plainText(label), nil))
		}
	}
	if len(options) == 0 || extendChoices[len(options)-1] < room {
		options = append(options, slack.NewOptionBlockObject(commands.FormatDuration(room), plainText(commands.FormatDuration(room)+" more (the most allowed)"), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("How much longer?"), extendActionID, options...)
	sel.InitialOption = options[0]
	approval := "An approver will be asked; your token keeps working meanwhile."
	if role.ExtendWithoutApproval || role.AutoApprove {
		approval = "Role " + role.Name + " extends without a new approval."
	}
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      extendCallbackID,
		PrivateMetadata: buttonValue(r),
		Title:           plainText("Extend " + truncateRunes(id.String(), 16)),
		Submit:          plainText("Extend"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf("*%s* · role %s · now expires %s", id, escapeMrkdwn(r.Role), slackDate(r.Grant.ExpiresAt)), false, false), nil, nil),
			slack.NewInputBlock(extendBlockID, plainText("Extend by"), nil, sel),
			slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, approval, false, false)),
		}},
	}
	if _, err := b.slack.OpenViewContext(ctx, triggerID, view); err != nil {
		b.log.Warn("open extend modal", "request", id.String(), "err", err)
		b.replyText(ctx, to, fmt.Sprintf("To extend %s, type `%s extend %s 24h` with the time you need.", id, b.name, id))
	}
}

// submitExtend handles the extend modal's submission. It answers within Slack's 3 seconds:
// Extend only writes the store. A refusal is shown next to the field; success closes the
// modal and the requester gets a confirmation by direct message.
func (b *Bot) submitExtend(cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	id, version, err := parseButtonValue(cb.View.PrivateMetadata)
	if err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: b.named("This form is out of date; use /cakegate extend instead.")})
	}
	if cb.View.State == nil {
		// Slack always sends the form's state; a payload without one is not from a form
		// cakegate opened, and must not take the process down.
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: "Choose how much longer."})
	}
	value := cb.View.State.Values[extendBlockID][extendActionID].SelectedOption.Value
	d, err := commands.ParseDuration(value)
	if err != nil || d <= 0 {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: "Choose how much longer."})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ctx = commands.AsSeen(ctx, version)
	user := cb.User.ID
	r, err := b.svc.Extend(ctx, id, user, d)
	if err != nil {
		b.warn(cb.User.ID, b.named(commands.UserMessage(err)))
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: truncateRunes(b.named(commands.UserMessage(err)), 150)})
	}
	b.async(func(ctx context.Context) {
		if err := b.dm(ctx, user, decisionConfirmation(VerbExtend, r), nil); err != nil {
			b.log.Warn("extend confirmation", "request", id.String(), "err", err)
		}
	})
	return nil
}
