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
	// Joined before its window opens, so a token being shown waits for the window, which
	// replaces the one it was meant for (reveal_turns.go).
	s := b.reveals.join(id)
	defer b.reveals.leave(id, s)
	v, err := b.slack.OpenViewContext(ctx, triggerID, noteView(revealCallbackID, id, ":hourglass_flowing_sand: Creating your token for *"+id.String()+"*…"))
	if err != nil {
		s.opened("")
		// Without a window to show it in, no token is made.
		b.log.Warn("open token modal", "request", id.String(), "err", err)
		b.replyText(ctx, to, fmt.Sprintf("Slack did not open the window for the token of %s (the click may have reached cakegate too late); click *Reveal token* again.", id))
		return
	}
	s.opened(v.ID)
	b.showIn(ctx, to, s.revealSession, v.ID, id, user, false)
}

// reissue answers the Re-issue button of the modal a second Reveal click opened. Who may is
// asked first: a click by anyone but the requester is answered privately and changes
// nothing, not even the window.
func (b *Bot) reissue(ctx context.Context, to replyTo, viewID string, id commands.RequestID, user string) {
	if _, err := b.svc.MayReveal(ctx, id, user); err != nil {
		b.replyError(ctx, to, err)
		return
	}
	s := b.reveals.join(id)
	defer b.reveals.leave(id, s)
	s.opened(viewID)
	b.showIn(ctx, to, s.revealSession, viewID, id, user, true)
}

// showIn runs Reveal (or Reissue, for a click on Re-issue) for the click in session s that
// opened window viewID, or clicked in it, taking turns with the other clicks on the same
// request (reveal_turns.go): the token, or why there is none, goes to the newest of their
// windows, the one on the requester's screen, and nowhere else. A refusal or failure
// replaces the "creating…" text, so the window never keeps spinning.
func (b *Bot) showIn(ctx context.Context, to replyTo, s *revealSession, viewID string, id commands.RequestID, user string, reissue bool) {
	if !s.wait(ctx) {
		return // the work's time is up; Slack would refuse the update too
	}
	defer s.done()
	// A window still being opened is not waited for here: the token is created meanwhile,
	// and waits for it (showInNewest).
	newest, told, shown := s.state()
	switch {
	case newest != viewID:
		return // a later click's window replaced this one, and that click shows the outcome
	case reissue && shown == viewID:
		return // a double click on Re-issue: the first click's token is on screen
	case !reissue && told == viewID:
		return // an earlier click showed its outcome in this click's window already
	}
	// The Home tabs that show the request say what it is now; the clicker's at once.
	defer b.refreshHomes(ctx, map[commands.RequestID]bool{id: true}, user)
	do := b.svc.Reveal
	switch {
	case reissue:
		do = b.svc.Reissue
		if _, err := b.slack.UpdateViewContext(ctx, noteView(revealCallbackID, id, ":hourglass_flowing_sand: Deleting the old token of *"+id.String()+"* and creating a new one…"), "", "", viewID); err != nil {
			b.log.Warn("update re-issue modal", "request", id.String(), "err", err)
			b.replyText(ctx, to, fmt.Sprintf("Slack did not update the window for %s; nothing was changed. Click *Reveal token* again.", id))
			return
		}
	case shown != "":
		// This click found the request approved, but another showed the token before
		// its turn, in a window this one replaced: out of sight now. Show what a new
		// click would get.
		b.showNow(ctx, to, s, id, user)
		return
	}
	_, err := do(ctx, id, user, b.showToken(s))
	switch {
	case commands.ErrorCode(err) == commands.CodeWrongState:
		// Another click held the request when this one asked (one on another replica).
		b.showNow(ctx, to, s, id, user)
	case err != nil:
		b.tellFailure(ctx, to, s, id, err)
	}
}

// showNow shows in the newest window of s what a click on Reveal token gets now, for a
// click that found the token revealed or being revealed by another: the token itself if
// the other click gave the request back (its window was gone, so its token was deleted),
// the Re-issue offer if it showed the token, or that it is still at it.
func (b *Bot) showNow(ctx context.Context, to replyTo, s *revealSession, id commands.RequestID, user string) {
	r, err := b.svc.MayReveal(ctx, id, user)
	switch {
	case err == nil && r.State == commands.StateApproved:
		if _, err := b.svc.Reveal(ctx, id, user, b.showToken(s)); err != nil {
			b.tellFailure(ctx, to, s, id, err)
		}
	case err == nil:
		if uerr := b.showInNewest(ctx, s, reissueView(r), false); uerr != nil {
			b.log.Warn("show the re-issue offer", "request", id.String(), "err", uerr)
			b.replyText(ctx, to, fmt.Sprintf("Slack did not update the window for %s; click *Reveal token* again.", id))
		}
	case b.beingRevealed(ctx, id, user):
		text := fmt.Sprintf(":hourglass_flowing_sand: Another click of yours is creating the token of *%s*, to show it in the window that click opened. "+
			"If that window is not on your screen, close this one and click *Reveal token* again in a minute.", id)
		if uerr := b.showInNewest(ctx, s, noteView(revealCallbackID, id, text), false); uerr != nil {
			b.replyText(ctx, to, text)
		}
	default:
		b.tellFailure(ctx, to, s, id, err)
	}
}

// beingRevealed reports whether user's request id is being revealed right now.
func (b *Bot) beingRevealed(ctx context.Context, id commands.RequestID, user string) bool {
	r, err := b.requests.Get(ctx, id)
	return err == nil && r.Requester == user && r.State == commands.StateProvisioning
}

// tellFailure says in the newest window of s why there is no token, or privately if Slack
// will not update it.
func (b *Bot) tellFailure(ctx context.Context, to replyTo, s *revealSession, id commands.RequestID, err error) {
	if commands.ErrorCode(err) == commands.CodeInternal {
		b.log.Error("reveal failed", "request", id.String(), "err", err)
	}
	if uerr := b.showInNewest(ctx, s, noteView(revealCallbackID, id, ":warning: "+commands.UserMessage(err)), false); uerr != nil {
		b.replyError(ctx, to, err)
	}
}

// showToken is the ShowToken of a click in session s: it puts the token into the newest
// window of s, the modal its requester's click opened, and nowhere else.
func (b *Bot) showToken(s *revealSession) commands.ShowToken {
	return func(ctx context.Context, r *commands.Request, token commands.Token) error {
		if err := b.showInNewest(ctx, s, tokenView(r, token, b.datacakeURL), true); err != nil {
			return fmt.Errorf("show the token in its modal: %w", err)
		}
		return nil
	}
}

// showInNewest puts mv into the newest window of s. When a later click's window replaces
// that one meanwhile (whether Slack refused the update or took it unseen), mv goes there
// too, where the requester looks.
func (b *Bot) showInNewest(ctx context.Context, s *revealSession, mv slack.ModalViewRequest, token bool) error {
	for {
		view, ok := s.newest(ctx)
		if !ok {
			return ctx.Err()
		}
		_, err := b.slack.UpdateViewContext(ctx, mv, "", "", view)
		if err == nil && s.tell(view, token) {
			return nil
		}
		if now, ok := s.newest(ctx); err != nil && (!ok || now == view) {
			return err
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
