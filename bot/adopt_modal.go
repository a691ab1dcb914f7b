package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// The adopt modal: opened by a review item's Adopt button, it asks for the API user's owner,
// how long until cakegate deletes it, and a note. Its private metadata is the button's value.
const (
	adoptCallbackID  = "cakegate_adopt"
	adoptOwnerBlock  = "adopt_owner"
	adoptOwnerAction = "owner"
	adoptForBlock    = "adopt_for"
	adoptForAction   = "for"
	adoptNoteBlock   = "adopt_note"
	adoptNoteAction  = "note"
)

// openAdoptModal shows the adopt modal for a review item to user, or explains privately
// why they cannot adopt it.
func (b *Bot) openAdoptModal(ctx context.Context, to replyTo, triggerID, value, user string) {
	id, index, apiUser, _, err := parseReviewValue(actionReviewAdopt+"0", value)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	it, err := b.svc.MayAdopt(ctx, id, index, apiUser, user)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	max := commands.FormatDuration(b.svc.Policy.AdoptLimit())
	owner := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plainText("Who owns it from now on?"), adoptOwnerAction)
	forInput := slack.NewPlainTextInputBlockElement(plainText("like 30d"), adoptForAction)
	forInput.InitialValue = "30d"
	note := slack.NewPlainTextInputBlockElement(plainText("What it is for, who asked"), adoptNoteAction)
	note.Multiline = true
	note.MaxLength = MaxReasonRunes
	noteBlock := slack.NewInputBlock(adoptNoteBlock, plainText("Note"), nil, note)
	noteBlock.Optional = true
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      adoptCallbackID,
		PrivateMetadata: value,
		Title:           plainText("Adopt an API user"),
		Submit:          plainText("Adopt"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(mrkdwnText(fmt.Sprintf("*%s* · %s\ncakegate will remind its owner before its end, let them ask to extend it, and delete it at its end. cakegate never had its token, so it cannot notice a leak of it.", escapeLimit(it.Name, 120), escapeLimit(it.Origin, 200))), nil, nil),
			slack.NewInputBlock(adoptOwnerBlock, plainText("Owner"), nil, owner),
			slack.NewInputBlock(adoptForBlock, plainText("Delete it after (at most "+max+")"), nil, forInput),
			noteBlock,
		}},
	}
	if _, err := b.slack.OpenViewContext(ctx, triggerID, view); err != nil {
		b.log.Warn("open adopt modal", "review", id, "err", err)
		b.replyText(ctx, to, "Slack did not open the adopt form; click Adopt again.")
	}
}

// submitAdopt handles the adopt modal's submission within Slack's 3 seconds. A refusal is
// shown next to the field it is about; success closes the modal, and the review message
// and the new owner are told through the outbox.
func (b *Bot) submitAdopt(cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	refuse := func(block, text string) *slack.ViewSubmissionResponse {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: truncateRunes(b.named(text), 150)})
	}
	id, index, apiUser, _, err := parseReviewValue(actionReviewAdopt+"0", cb.View.PrivateMetadata)
	if err != nil || cb.View.State == nil {
		return refuse(adoptOwnerBlock, "This form is out of date; start a new review with /cakegate review.")
	}
	values := cb.View.State.Values
	in := commands.AdoptInput{
		Review: id, Index: index, APIUserID: apiUser, By: cb.User.ID,
		Owner: values[adoptOwnerBlock][adoptOwnerAction].SelectedUser,
		Note:  values[adoptNoteBlock][adoptNoteAction].Value,
	}
	d, err := commands.ParseDuration(strings.TrimSpace(values[adoptForBlock][adoptForAction].Value))
	if err != nil {
		return refuse(adoptForBlock, "Write how long until cakegate deletes it, like 30d or 12h.")
	}
	in.For = d
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	r, err := b.svc.Adopt(ctx, in)
	if err != nil {
		block := adoptOwnerBlock
		switch commands.ErrorField(err) {
		case commands.FieldDuration:
			block = adoptForBlock
		case commands.FieldNote:
			block = adoptNoteBlock
		}
		b.warn(cb.User.ID, b.named(commands.UserMessage(err)))
		return refuse(block, commands.UserMessage(err))
	}
	b.Kick()
	b.log.Info("adopted an API user", "request", r.ID.String(), "review", id, "item", strconv.Itoa(index))
	return nil
}
