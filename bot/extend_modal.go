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
	r, err := b.svc.Status(ctx, id, user)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	switch {
	case r.Requester != user:
		b.replyText(ctx, to, fmt.Sprintf(":warning: only %s, who holds %s, can ask to extend it.", commands.Mention(r.Requester), id))
		return
	case r.State != commands.StateActive || r.Grant == nil:
		b.replyText(ctx, to, fmt.Sprintf(":warning: %s is %s; only an active grant can be extended.", id, r.State))
		return
	}
	role, ok := b.svc.Policy.Role(r.Role)
	if !ok {
		b.replyText(ctx, to, fmt.Sprintf(":warning: role %s is no longer in the policy, so %s cannot be extended.", r.Role, id))
		return
	}
	room := r.Grant.CreatedAt.Add(role.MaxDuration).Sub(r.Grant.ExpiresAt)
	var options []*slack.OptionBlockObject
	for _, d := range extendChoices {
		if d <= room {
			label := commands.FormatDuration(d) + " more"
			options = append(options, slack.NewOptionBlockObject(commands.FormatDuration(d), slack.NewTextBlockObject(slack.PlainTextType, label, false, false), nil))
		}
	}
	if room >= time.Minute && (len(options) == 0 || extendChoices[len(options)-1] < room) {
		max := room.Truncate(time.Minute)
		options = append(options, slack.NewOptionBlockObject(commands.FormatDuration(max), slack.NewTextBlockObject(slack.PlainTextType, commands.FormatDuration(max)+" more (the most allowed)", false, false), nil))
	}
	if len(options) == 0 {
		b.replyText(ctx, to, fmt.Sprintf(":warning: %s already runs for role %s's maximum of %s.", id, role.Name, commands.FormatDuration(role.MaxDuration)))
		return
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "How much longer?", false, false), extendActionID, options...)
	sel.InitialOption = options[0]
	approval := "An approver will be asked; your token keeps working meanwhile."
	if role.ExtendWithoutApproval || role.AutoApprove {
		approval = "Role " + role.Name + " extends without a new approval."
	}
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      extendCallbackID,
		PrivateMetadata: id.String(),
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "Extend "+truncateRunes(id.String(), 16), false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Extend", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf("*%s* · role %s · now expires %s", id, escapeMrkdwn(r.Role), slackDate(r.Grant.ExpiresAt)), false, false), nil, nil),
			slack.NewInputBlock(extendBlockID, slack.NewTextBlockObject(slack.PlainTextType, "Extend by", false, false), nil, sel),
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
	id, err := commands.ParseRequestID(cb.View.PrivateMetadata)
	if err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: "This form is out of date; use /cakegate extend instead."})
	}
	value := cb.View.State.Values[extendBlockID][extendActionID].SelectedOption.Value
	d, err := commands.ParseDuration(value)
	if err != nil || d <= 0 {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: "Choose how much longer."})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	user := cb.User.ID
	r, err := b.svc.Extend(ctx, id, user, d)
	if err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{extendBlockID: truncateRunes(commands.UserMessage(err), 150)})
	}
	b.async(func(ctx context.Context) {
		if err := b.dm(ctx, user, decisionConfirmation(VerbExtend, r), nil); err != nil {
			b.log.Warn("extend confirmation", "request", id.String(), "err", err)
		}
	})
	return nil
}
