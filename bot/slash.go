package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// acceptCommand takes a slash command that is to be acknowledged and works on it in the
// background. It refuses one for another workspace or app (ErrForeign), and all while the
// bot is shutting down (ErrShuttingDown); a repeated one is accepted and dropped.
//
// Whether it was taken before (commandKey: its trigger id, else its delivery's key, the
// signature over HTTP or the envelope over Socket Mode) is asked in the background too: the
// acknowledgement is the same empty answer either way, and the question is a write to the
// store (an fsync, or a round trip to etcd) that a burst of commands would otherwise wait
// for, one after another (over Socket Mode, on the one goroutine that reads the socket),
// within Slack's 3 s.
func (b *Bot) acceptCommand(sc slack.SlashCommand, delivery string) error {
	if b.foreign("slash command", sc.TeamID, sc.APIAppID, sc.EnterpriseID) {
		return ErrForeign
	}
	if !b.async(func(ctx context.Context) {
		if b.replayedDelivery(commandKey(sc, delivery)) {
			b.log.Info("dropped a repeated slash command", "user", sc.UserID)
			return
		}
		b.handleCommand(ctx, sc)
	}) {
		return ErrShuttingDown
	}
	return nil
}

// handleCommand runs one slash command and answers its user privately.
func (b *Bot) handleCommand(ctx context.Context, sc slack.SlashCommand) {
	to := replyTo{responseURL: sc.ResponseURL, channel: sc.ChannelID, user: sc.UserID}
	cmd, err := ParseCommand(sc.Text)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			b.replyText(ctx, to, ":warning: "+ue.Message+"\n\n"+Usage(b.name))
			return
		}
		b.replyError(ctx, to, err)
		return
	}
	user := sc.UserID
	svc := b.svc
	switch cmd.Verb {
	case VerbHelp:
		b.reply(ctx, to, b.help())
	case VerbRequest:
		if cmd.Interactive {
			b.openRequestModal(ctx, to, sc.TriggerID, user)
			return
		}
		in := commands.RequestInput{Requester: user, Role: cmd.Role, Devices: cmd.Devices, Duration: cmd.Duration, Reason: cmd.Reason, Template: cmd.Template, Start: cmd.Start, Key: sc.TriggerID}
		if in.Start != "" {
			in.Zone = b.userZone(ctx, user)
		}
		r, err := svc.Request(ctx, in)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.reply(ctx, to, requestConfirmationMessage(r))
	case VerbList:
		rs, err := svc.List(ctx, user)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.reply(ctx, to, msg(ListMessage(rs, b.now())))
	case VerbStatus:
		r, err := svc.Status(ctx, cmd.ID, user)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.reply(ctx, to, msg(StatusMessage(r, b.now())))
	case VerbPending:
		rs, err := svc.Pending(ctx, user)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.reply(ctx, to, msg(PendingMessage(rs, b.now())))
	case VerbRoles:
		roles, err := svc.Roles(ctx, user)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.reply(ctx, to, msg(RolesMessage(roles)))
	case VerbAudit:
		events, err := svc.Audit(ctx, user, cmd.Count)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.reply(ctx, to, msg(AuditMessage(events, svc.Policy.Location)))
	case VerbOrphans:
		deleted, failed, err := svc.DeleteOrphans(ctx, user)
		if err != nil {
			b.replyError(ctx, to, err)
			return
		}
		b.replyText(ctx, to, orphansConfirmation(deleted, failed))
	case VerbReview:
		b.startReview(ctx, to, user)
	default:
		b.decide(ctx, to, cmd.Verb, cmd.ID, user, cmd)
	}
}

// orphansConfirmation answers /cakegate orphans delete.
func orphansConfirmation(deleted, failed int) string {
	text := fmt.Sprintf("Deleted %s: tokens cakegate made that no request uses any more. Each is in the audit log, and the person it was made for is told.", plural(deleted, "leftover token", "leftover tokens"))
	if deleted == 0 && failed == 0 {
		text = "There are no leftover tokens: every token cakegate made belongs to a request."
	}
	if failed > 0 {
		text += fmt.Sprintf(" :warning: %d could not be deleted just now; run it again in a minute.", failed)
	}
	return text
}

// decide runs a use case that changes a request and confirms it privately. Slash commands
// and buttons share it, so both answer alike.
func (b *Bot) decide(ctx context.Context, to replyTo, verb Verb, id commands.RequestID, user string, cmd Command) {
	var (
		r   *commands.Request
		err error
	)
	switch verb {
	case VerbApprove:
		r, err = b.svc.Approve(ctx, id, user)
	case VerbDeny:
		r, err = b.svc.Deny(ctx, id, user, cmd.Reason)
	case VerbCancel:
		r, err = b.svc.Cancel(ctx, id, user)
	case VerbRevoke:
		r, err = b.svc.Revoke(ctx, id, user, cmd.Reason)
	case VerbExtend:
		r, err = b.svc.Extend(ctx, id, user, cmd.Duration)
	default:
		err = fmt.Errorf("unhandled verb %q", verb)
	}
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	b.replyText(ctx, to, decisionConfirmation(verb, r))
}

func requestConfirmation(r *commands.Request) string {
	return requestConfirmationNow(r) + startNote(r)
}

// startNote says when a scheduled request starts, for confirmations; "" for the others.
func startNote(r *commands.Request) string {
	if r.StartAt.IsZero() || r.StartTold {
		return ""
	}
	return " It starts " + slackDate(r.StartAt) + "; I will message you then with the Reveal token button."
}

func requestConfirmationNow(r *commands.Request) string {
	switch r.State {
	case commands.StateApproved:
		if !r.StartAt.IsZero() && !r.StartTold {
			// startNote says when, and that the Reveal button comes then: nothing to click now.
			return fmt.Sprintf(":white_check_mark: %s was granted at once (role %s).", r.ID, escapeMrkdwn(r.Role))
		}
		return fmt.Sprintf(":white_check_mark: %s was granted at once (role %s). Click *Reveal token* in my direct message to create your token and see it.", r.ID, escapeMrkdwn(r.Role))
	case commands.StateFailed:
		return fmt.Sprintf(":warning: %s failed: %s", r.ID, escapeMrkdwn(r.FailureReason))
	}
	return fmt.Sprintf(":hourglass_flowing_sand: %s is waiting for approval: role %s for %s on %s. I will message you when it is decided.",
		r.ID, escapeMrkdwn(r.Role), commands.FormatDuration(r.Duration), plural(len(r.Devices), "device", "devices"))
}

func decisionConfirmation(verb Verb, r *commands.Request) string {
	switch verb {
	case VerbApprove:
		switch {
		case r.State == commands.StateActive && r.Extension != nil:
			return fmt.Sprintf("You approved the extension of %s; it needs %s.", r.ID, plural(r.ApprovalsNeeded-len(r.Extension.Approvals), "more approval", "more approvals"))
		case r.State == commands.StateApproved && !r.StartAt.IsZero() && !r.StartTold:
			return fmt.Sprintf(":white_check_mark: You approved %s; it starts %s, when %s can reveal the token (until %s).", r.ID, slackDate(r.StartAt), commands.Mention(r.Requester), slackDate(r.RevealBy))
		case r.State == commands.StateApproved:
			return fmt.Sprintf(":white_check_mark: You approved %s; %s can now reveal the token (by %s).", r.ID, commands.Mention(r.Requester), slackDate(r.RevealBy))
		case r.State == commands.StateFailed:
			return fmt.Sprintf(":warning: You approved %s, but it failed: %s", r.ID, escapeMrkdwn(r.FailureReason))
		case r.State == commands.StatePending:
			return fmt.Sprintf("You approved %s; it needs %s.", r.ID, plural(r.ApprovalsNeeded-len(r.Approvals), "more approval", "more approvals"))
		}
		return fmt.Sprintf("You approved %s.", r.ID)
	case VerbDeny:
		return fmt.Sprintf("You denied %s; %s has been told.", r.ID, commands.Mention(r.Requester))
	case VerbCancel:
		return fmt.Sprintf("You cancelled %s.", r.ID)
	case VerbRevoke:
		switch {
		case r.State == commands.StateRevoked && r.Grant == nil:
			return fmt.Sprintf(":no_entry: You withdrew the approval of %s; no token was made, and its Reveal button no longer works.", r.ID)
		case r.State == commands.StateProvisioning:
			return fmt.Sprintf(":no_entry: The token of %s is being made right now; cakegate deletes it as soon as it exists, before anyone sees it.", r.ID)
		}
		return fmt.Sprintf(":no_entry: %s is revoked; its token no longer works.", r.ID)
	case VerbExtend:
		if r.Extension != nil {
			return fmt.Sprintf("Your extension of %s by %s is waiting for approval; the token keeps working until then.", r.ID, commands.FormatDuration(r.Extension.Duration))
		}
		return fmt.Sprintf("%s now lasts until %s.", r.ID, slackDate(r.Grant.ExpiresAt))
	}
	return "Done."
}

// help is the rendered help, made once: it depends only on the command's name.
func (b *Bot) help() message {
	b.helpOnce.Do(func() { b.helpMsg = msg(HelpMessage(Usage(b.name))) })
	return b.helpMsg
}
