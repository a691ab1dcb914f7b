package bot

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// datacakeGraphQL is Datacake's public endpoint, where a token is used unless cakegate
// talks to another (the EU host, a white-label site): then the token works there.
const datacakeGraphQL = "https://api.datacake.co/graphql/"

// tokenBlocks renders the token for the modal its requester's Reveal click opened, with how
// to use it against endpoint (Datacake's GraphQL URL; "" for the public one). It is the only
// renderer that sees the token, and its blocks go only into that view (views.update), never
// into a message.
func tokenBlocks(r *commands.Request, token commands.Token, endpoint string) []slack.Block {
	if endpoint == "" {
		endpoint = datacakeGraphQL
	}
	var expires time.Time
	apiUser := ""
	if r.Grant != nil {
		expires, apiUser = r.Grant.ExpiresAt, r.Grant.APIUserName
	}
	secret := escapeMrkdwn(token.Reveal())

	var s blockSet
	s.fields(r.ID.String()+"_token_fields",
		field("API user", "`"+escapeLimit(apiUser, fieldBudget("API user")-2)+"`"),
		field("Expires", slackDate(expires)),
		field("Permissions", escapeLimit(commands.DescribeGrants(r.WorkspacePermissions, r.DevicePermissions), fieldBudget("Permissions"))),
		field("Devices", deviceList(r.Devices, fieldBudget("Devices"))),
	)
	s.section(r.ID.String()+"_token", "```"+secret+"```")
	query := `{"query":"{ allDevices { id verboseName serialNumber } }"}`
	if r.Workspace != "" {
		query = fmt.Sprintf(`{"query":"{ allDevices(inWorkspace: \"%s\") { id verboseName serialNumber } }"}`, escapeLimit(r.Workspace, 100))
	}
	s.section(r.ID.String()+"_token_usage", fmt.Sprintf(
		"Endpoint: %s. Send the token in the header `Authorization: Token …`. For example, with the token in `DATACAKE_TOKEN`:\n"+
			"```curl -s %s -H \"Authorization: Token $DATACAKE_TOKEN\" -H \"Content-Type: application/json\" -d '%s'```",
		escapeLimit(endpoint, 300), escapeLimit(endpoint, 300), query))
	s.context(r.ID.String()+"_token_note", fmt.Sprintf(
		"Copy it now: it is shown only in this window and cakegate does not keep it. It stops working at %s. "+
			"Lost it? Click *Reveal token* again to re-issue it. `/cakegate revoke %s` when you are done.",
		slackDate(expires), r.ID))
	return s.blocks
}

// RevealMessage renders the direct message that tells a requester their request was
// approved, by whom and for how long, with the Reveal token button. It holds no token: the
// click creates it and shows it in a modal. As the request moves on, the message says where
// it is, and keeps the button only while a click can do something (reveal, or re-issue).
func RevealMessage(r *commands.Request) (string, []slack.Block) {
	by := "cakegate (the role needs no approval)"
	if (r.DecidedBy != "" && r.DecidedBy != commands.Actor && len(r.Approvals) > 0) || r.OnCall != "" {
		by = approvers(r)
	}
	var s blockSet
	head := fmt.Sprintf(":white_check_mark: *%s* (role %s) was approved by %s for %s.\n", r.ID, escapeLimit(r.Role, 200), by, commands.FormatDuration(r.Duration))
	withButton := false
	switch {
	case r.State == commands.StateApproved && !r.StartAt.IsZero() && !r.StartTold:
		head += fmt.Sprintf("It starts %s: I will message you then with the *Reveal token* button. It ends %s at the latest.",
			slackDate(r.StartAt), slackDate(r.StartAt.Add(r.Duration)))
	case r.State == commands.StateApproved && !r.StartAt.IsZero():
		head = fmt.Sprintf(":white_check_mark: Your access is ready: *%s* (role %s), approved by %s, starts now. Click *Reveal token* to create your token and see it in a private window. "+
			"It works until %s at the latest; reveal it by %s or the approval lapses.", r.ID, escapeLimit(r.Role, 200), by, slackDate(r.StartAt.Add(r.Duration)), slackDate(r.RevealBy))
		withButton = true
	case r.State == commands.StateApproved:
		head += fmt.Sprintf("Click *Reveal token* to create your token and see it in a private window. It works for %s from the moment you reveal it; "+
			"reveal it by %s or the approval lapses.", commands.FormatDuration(r.Duration), slackDate(r.RevealBy))
		withButton = true
	case r.State == commands.StateProvisioning:
		head += "Your token is being created."
	case r.State == commands.StateActive:
		expires := ""
		if r.Grant != nil {
			expires = " It works until " + slackDate(r.Grant.ExpiresAt) + "."
		}
		head += "You revealed the token." + expires + " Lost it? *Reveal token* offers to re-issue it."
		withButton = true
	default:
		head += "Now: " + approvalStatus(r, r.UpdatedAt) + "."
	}
	s.section(r.ID.String()+"_reveal", head)
	if withButton {
		s.actions(r.ID.String()+"_reveal_actions", idButton(ActionReveal, "Reveal token", r.ID, slack.StylePrimary))
	}
	fallback := fmt.Sprintf("%s (role %s) was approved. Open this message to reveal your token.", r.ID, escapeLimit(r.Role, 100))
	if r.State == commands.StateApproved && !r.StartAt.IsZero() {
		fallback = fmt.Sprintf("%s (role %s): your access is ready. Open this message to reveal your token.", r.ID, escapeLimit(r.Role, 100))
		if !r.StartTold {
			fallback = fmt.Sprintf("%s (role %s) was approved; it starts %s.", r.ID, escapeLimit(r.Role, 100), r.StartAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	return fallback, s.blocks
}

// ReminderMessage renders the direct message that tells a requester their grant ends soon,
// with Extend and Revoke buttons. lead is the reminder's lead time, used when the grant's
// expiry is unknown; otherwise the time left is counted from now.
func ReminderMessage(r *commands.Request, lead time.Duration, now time.Time) (string, []slack.Block) {
	left := lead
	var expires time.Time
	if r.Grant != nil {
		expires = r.Grant.ExpiresAt
		left = expires.Sub(now)
	}
	var when string
	switch {
	case r.Grant == nil:
		when = "in about " + commands.FormatDuration(roughly(left))
	case left <= 0:
		when = "now (" + slackDate(expires) + ")"
	default:
		when = slackDate(expires) + ", in about " + commands.FormatDuration(roughly(left))
	}
	if r.Adopted != nil {
		return adoptedReminder(r, when)
	}

	var s blockSet
	s.section(r.ID.String()+"_reminder", fmt.Sprintf(
		":hourglass_flowing_sand: Your token for *%s* (role %s) expires %s.\nExtend it if you need more time, or revoke it if you are done.",
		r.ID, escapeLimit(r.Role, 200), when))
	s.actions(r.ID.String()+"_reminder_actions",
		button(ActionExtend, "Extend", r, slack.StylePrimary),
		revokeButton(r))
	if r.Extension != nil {
		s.context(r.ID.String()+"_reminder_extension", "An extension by "+commands.FormatDuration(r.Extension.Duration)+" is waiting for approval.")
	}

	fallback := fmt.Sprintf("Your token for %s (role %s) expires %s.", r.ID, escapeLimit(r.Role, 100), when)
	return fallback, s.blocks
}

// roughly rounds a time left for people: to the minute below two hours, to the hour above.
func roughly(d time.Duration) time.Duration {
	if d >= 2*time.Hour {
		return d.Round(time.Hour)
	}
	if d >= time.Minute {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
