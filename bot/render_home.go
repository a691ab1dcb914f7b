package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// Limits of the Home tab. Slack refuses a Home tab of more than 100 blocks, so long lists
// are cut with an "…and N more" line.
const (
	maxViewBlocks = 100
	// homeMineBlocks is the most the user's own tokens and requests take, so that an
	// approver's queue always keeps room below them.
	homeMineBlocks = 50
	// homeEndedShown is how many ended requests the tab recalls.
	homeEndedShown = 5
)

// homeCallbackID marks cakegate's Home tab, so a click on it is told from a click in a modal.
const homeCallbackID = "cakegate_home"

// Home is what one user's Home tab shows.
type Home struct {
	// Notice says what the user's last click on the tab did, in mrkdwn; "" shows none.
	Notice string
	// Requests are the user's own requests, newest first, as Service.List returns them.
	Requests []*commands.Request
	// RequestsErr, when not "", says why the user's requests could not be read.
	RequestsErr string
	// Approver shows the approver's queue even when nothing waits in it.
	Approver bool
	// Waiting is what the user may decide now, oldest first, as Service.Pending returns it.
	Waiting []*commands.Request
	// WaitingErr, when not "", says why the queue could not be read.
	WaitingErr string
	// RequestAction, when not "", is the action id of a "Request a token" button.
	RequestAction string
	// Templates are the policy's presets the user may use, one Quick requests button each.
	Templates []*commands.Template
	// CommandName is the slash command as installed, for hints. Default "/cakegate".
	CommandName string
	// Access, for approvers, counts the workspace's API users by class and says when the
	// next access review runs (home_access.go); "" shows nothing.
	Access string
}

// HomeView renders h as the Home tab at now.
func HomeView(h Home, now time.Time) slack.HomeTabViewRequest {
	return slack.HomeTabViewRequest{
		Type:       slack.VTHomeTab,
		CallbackID: homeCallbackID,
		Blocks:     slack.Blocks{BlockSet: HomeBlocks(h, now)},
	}
}

// HomeBlocks renders the blocks of h's Home tab at now: a notice about the user's last
// click, "My tokens" with Extend and Revoke, "My requests" with Cancel and the recently
// ended, and for approvers "Waiting for you" with Approve and Deny. It stays within
// Slack's 100 blocks however long the lists are.
func HomeBlocks(h Home, now time.Time) []slack.Block {
	name := h.CommandName
	if name == "" {
		name = "/cakegate"
	}
	var s blockSet
	if notice := strings.TrimSpace(h.Notice); notice != "" {
		s.section("home_notice", notice)
	}
	intro := "*cakegate* hands out scoped, time-limited Datacake API tokens with an owner's approval."
	if h.RequestAction == "" {
		intro += " `" + escapeLimit(name, 100) + " request` asks for one."
	}
	sec := s.section("home_intro", intro)
	if h.RequestAction != "" {
		sec.Accessory = slack.NewAccessory(slack.NewButtonBlockElement(h.RequestAction, "request", plainText("Request a token")).WithStyle(slack.StylePrimary))
	}
	s.context("home_updated", fmt.Sprintf("Updated %s · `%s help` lists the commands.", slackDate(now), escapeLimit(name, 100)))
	homeQuickRequests(&s, h.Templates, name)

	homeMine(&s, h, now, name)
	if h.Access != "" {
		s.section("home_access", h.Access)
	}
	if h.Approver || len(h.Waiting) > 0 || h.WaitingErr != "" {
		homeQueue(&s, h, now, name)
	}
	return s.blocks
}

// homeMine renders the user's own tokens and requests within homeMineBlocks.
func homeMine(s *blockSet, h Home, now time.Time, name string) {
	start := len(s.blocks)
	room := func(reserve int) int { return homeMineBlocks - (len(s.blocks) - start) - reserve }

	s.add(slack.NewDividerBlock())
	s.header("home_tokens", "My tokens")
	if h.RequestsErr != "" {
		s.context("home_mine_error", ":warning: "+h.RequestsErr)
		return
	}
	var tokens, pending, ended []*commands.Request
	for _, r := range h.Requests {
		switch {
		case r.State == commands.StatePending:
			pending = append(pending, r)
		case r.State.Final():
			ended = append(ended, r)
		default: // provisioning, active, revoking: a token exists or is on its way
			tokens = append(tokens, r)
		}
	}

	items := make([][]slack.Block, 0, len(tokens))
	for _, r := range tokens {
		items = append(items, homeTokenItem(s, r, now))
	}
	// Below: the "My requests" header, at least one line of it, and the ended ones.
	fitRoom(s, "home_tokens_more", items, room(3), "You hold no tokens.", func(n int) string {
		return fmt.Sprintf("…and %d more. `%s list` shows them all.", n, escapeLimit(name, 100))
	})

	s.header("home_requests", "My requests")
	items = make([][]slack.Block, 0, len(pending))
	for _, r := range pending {
		items = append(items, homePendingItem(s, r))
	}
	reserve := 0
	if len(ended) > 0 {
		reserve = 1
	}
	fitRoom(s, "home_requests_more", items, room(reserve), "No request of yours is waiting for approval.", func(n int) string {
		return fmt.Sprintf("…and %d more waiting. `%s list` shows them all.", n, escapeLimit(name, 100))
	})
	if len(ended) > 0 && room(0) > 0 {
		s.section("home_ended", homeEndedText(ended, name))
	}
}

// homeTokenItem is one token of the user's: what it is and until when, with Extend (unless
// an extension is waiting already) and Revoke while it is active.
func homeTokenItem(s *blockSet, r *commands.Request, now time.Time) []slack.Block {
	id := r.ID.String()
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* · role *%s* · %s\n", id, escapeLimit(r.Role, 100), deviceList(r.Devices, 800))
	active := r.State == commands.StateActive && r.Grant != nil
	switch {
	case r.State == commands.StateApproved && now.Before(r.StartAt):
		b.WriteString("Approved by " + approvers(r) + ". It starts " + slackDate(r.StartAt) + "; Reveal token works from then until " + slackDate(r.RevealBy) + ".")
		return []slack.Block{s.sectionBlock("home_token_"+id, b.String())}
	case r.State == commands.StateApproved:
		b.WriteString("Approved by " + approvers(r) + ". Reveal the token by " + slackDate(r.RevealBy) + "; its " + commands.FormatDuration(r.Duration) + " start then.")
		sec := s.sectionBlock("home_token_"+id, b.String())
		return []slack.Block{sec, slack.NewActionBlock(s.id("home_token_"+id+"_reveal"), idButton(ActionReveal, "Reveal token", r.ID, slack.StylePrimary))}
	case r.State == commands.StateProvisioning:
		b.WriteString("Approved by " + approvers(r) + "; the token is being created.")
	case r.State == commands.StateRevoking:
		b.WriteString("Being revoked; the token stops working in a moment.")
	case !active:
		b.WriteString(approvalStatus(r, now))
	case !r.Grant.ExpiresAt.After(now):
		b.WriteString("Expired " + slackDate(r.Grant.ExpiresAt) + "; the token is being removed.")
		active = false
	default:
		fmt.Fprintf(&b, "Expires %s, in about %s", slackDate(r.Grant.ExpiresAt), commands.FormatDuration(roughly(r.Grant.ExpiresAt.Sub(now))))
		if r.Extension != nil {
			fmt.Fprintf(&b, "\nYou asked to extend it by %s; waiting for approval.", commands.FormatDuration(r.Extension.Duration))
		}
	}
	sec := s.sectionBlock("home_token_"+id, b.String())
	if !active {
		return []slack.Block{sec}
	}
	var buttons []slack.BlockElement
	if r.Extension == nil {
		buttons = append(buttons, button(ActionExtend, "Extend", r, ""))
	}
	buttons = append(buttons, revokeButton(r))
	return []slack.Block{sec, slack.NewActionBlock(s.id("home_token_"+id+"_actions"), buttons...)}
}

// homePendingItem is one of the user's requests waiting for approval, with Remind approvers
// and Cancel.
func homePendingItem(s *blockSet, r *commands.Request) []slack.Block {
	status := "waiting for approval"
	if r.ApprovalsNeeded > 1 || len(r.Approvals) > 0 {
		status = approvalProgress(r.Approvals, r.ApprovalsNeeded)
	}
	text := fmt.Sprintf("*%s* · role *%s* for %s · %s · asked %s\n%s",
		r.ID, escapeLimit(r.Role, 100), commands.FormatDuration(r.Duration), plural(len(r.Devices), "device", "devices"), slackDate(r.CreatedAt), status)
	sec := s.sectionBlock("home_mine_"+r.ID.String(), text)
	return []slack.Block{sec, slack.NewActionBlock(s.id("home_mine_"+r.ID.String()+"_actions"),
		remindApproversButton(r.ID), button(ActionCancel, "Cancel", r, ""))}
}

// homeEndedText recalls the newest ended requests, one line each.
func homeEndedText(ended []*commands.Request, name string) string {
	lines := []string{"*Recently ended*"}
	for i, r := range ended {
		if i == homeEndedShown {
			lines = append(lines, fmt.Sprintf("…and %d more. `%s list` shows them.", len(ended)-i, escapeLimit(name, 100)))
			break
		}
		lines = append(lines, RequestLine(r))
	}
	sections, _ := packLines(lines, maxSectionRunes)
	return sections[0]
}

// homeQueue renders the approver's queue in whatever room the tab has left.
func homeQueue(s *blockSet, h Home, now time.Time, name string) {
	s.add(slack.NewDividerBlock())
	title := "Waiting for you"
	if n := len(h.Waiting); n > 0 {
		title = fmt.Sprintf("Waiting for you (%d)", n)
	}
	s.header("home_queue", title)
	if h.WaitingErr != "" {
		s.context("home_queue_error", ":warning: "+h.WaitingErr)
		return
	}
	items := make([][]slack.Block, 0, len(h.Waiting))
	for _, r := range h.Waiting {
		// nil when r was decided since the queue was read
		if item := decisionItem(s, r, now, "home_wait_"+r.ID.String()); item != nil {
			items = append(items, item)
		}
	}
	fitRoom(s, "home_queue_more", items, maxViewBlocks-len(s.blocks), "Nothing is waiting for your decision.", func(n int) string {
		return fmt.Sprintf("…and %d more waiting. Decide on these first, or see them all with `%s pending`.", n, escapeLimit(name, 100))
	})
}
