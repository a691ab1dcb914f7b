package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// The token modal: opened at once by a click on Reveal token (Slack's trigger id lives 3
// seconds and the API user takes longer), then updated with the token when it exists.
const (
	revealCallbackID  = "cakegate_reveal"
	reissueCallbackID = "cakegate_reissue"
)

// reveal answers a click on Reveal token. Only the requester may; on an approved request
// a modal opens at once saying the token is being created, the API user is created, and the
// modal is updated with the token. On an active one the modal offers Re-issue instead.
func (b *Bot) reveal(ctx context.Context, to replyTo, triggerID string, id commands.RequestID, user string) {
	r, err := b.svc.MayReveal(ctx, id, user)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	if r.State == commands.StateActive {
		if _, err := b.slack.OpenViewContext(ctx, triggerID, reissueView(r)); err != nil {
			b.log.Warn("open re-issue modal", "request", id.String(), "err", err)
			b.replyText(ctx, to, fmt.Sprintf("Slack did not open the window for %s; click *Reveal token* again.", id))
		}
		return
	}
	v, err := b.slack.OpenViewContext(ctx, triggerID, noteView(revealCallbackID, id, ":hourglass_flowing_sand: Creating your token for *"+id.String()+"*…"))
	if err != nil {
		// Without a window to show it in, no token is made.
		b.log.Warn("open token modal", "request", id.String(), "err", err)
		b.replyText(ctx, to, fmt.Sprintf("Slack did not open the window for the token of %s (the click may have reached cakegate too late); click *Reveal token* again.", id))
		return
	}
	b.showIn(ctx, to, v.ID, id, user, b.svc.Reveal)
}

// reissue answers the Re-issue button of the modal a second Reveal click opened. Who may is
// asked first: a click by anyone but the requester is answered privately and changes
// nothing, not even the window.
func (b *Bot) reissue(ctx context.Context, to replyTo, viewID string, id commands.RequestID, user string) {
	if _, err := b.svc.MayReveal(ctx, id, user); err != nil {
		b.replyError(ctx, to, err)
		return
	}
	if _, err := b.slack.UpdateViewContext(ctx, noteView(revealCallbackID, id, ":hourglass_flowing_sand: Deleting the old token of *"+id.String()+"* and creating a new one…"), "", "", viewID); err != nil {
		b.log.Warn("update re-issue modal", "request", id.String(), "err", err)
		b.replyText(ctx, to, fmt.Sprintf("Slack did not update the window for %s; nothing was changed. Click *Reveal token* again.", id))
		return
	}
	b.showIn(ctx, to, viewID, id, user, b.svc.Reissue)
}

// showIn runs Reveal or Reissue with a ShowToken that puts the token into view viewID, the
// modal opened for its requester, and nowhere else. A refusal or failure replaces the
// "creating…" text, so the modal never keeps spinning.
func (b *Bot) showIn(ctx context.Context, to replyTo, viewID string, id commands.RequestID, user string,
	do func(context.Context, commands.RequestID, string, commands.ShowToken) (*commands.Request, error)) {
	show := func(ctx context.Context, r *commands.Request, token commands.Token) error {
		if _, err := b.slack.UpdateViewContext(ctx, tokenView(r, token, b.datacakeURL), "", "", viewID); err != nil {
			return fmt.Errorf("show the token in its modal: %w", err)
		}
		return nil
	}
	_, err := do(ctx, id, user, show)
	// The Home tabs that show the request, the requester's first, say what it is now.
	defer b.refreshHomes(ctx, map[commands.RequestID]bool{id: true})
	if err != nil {
		if commands.ErrorCode(err) == commands.CodeInternal {
			b.log.Error("reveal failed", "request", id.String(), "err", err)
		}
		if _, uerr := b.slack.UpdateViewContext(ctx, noteView(revealCallbackID, id, ":warning: "+commands.UserMessage(err)), "", "", viewID); uerr != nil {
			b.replyError(ctx, to, err)
		}
	}
}

// tokenView is the modal that shows the token.
func tokenView(r *commands.Request, token commands.Token, endpoint string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      revealCallbackID,
		PrivateMetadata: r.ID.String(),
		Title:           plainText(truncateRunes("Token for "+r.ID.String(), 24)),
		Close:           plainText("Done"),
		Blocks:          slack.Blocks{BlockSet: tokenBlocks(r, token, endpoint)},
	}
}

// noteView is a modal that only says text: "creating…", or why it could not.
func noteView(callbackID string, id commands.RequestID, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		PrivateMetadata: id.String(),
		Title:           plainText(truncateRunes("Token for "+id.String(), 24)),
		Close:           plainText("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncateRunes(text, 3000), false, false), nil, nil),
		}},
	}
}

// reissueView offers to replace the token of an active grant: what a second click on
// Reveal token opens, since the first token was shown once and is not kept.
func reissueView(r *commands.Request) slack.ModalViewRequest {
	var s blockSet
	s.section(r.ID.String()+"_reissue", fmt.Sprintf(
		"The token of *%s* was shown when you revealed it, and cakegate does not keep it. "+
			"*Re-issue* deletes that token (anything using it stops working) and shows you a new one, valid until %s like the old.",
		r.ID, slackDate(r.Grant.ExpiresAt)))
	s.actions(r.ID.String()+"_reissue_actions", idButton(ActionReissue, "Re-issue", r.ID, slack.StyleDanger))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      reissueCallbackID,
		PrivateMetadata: r.ID.String(),
		Title:           plainText(truncateRunes("Token for "+r.ID.String(), 24)),
		Close:           plainText("Cancel"),
		Blocks:          slack.Blocks{BlockSet: s.blocks},
	}
}
