package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// reviewItemsPerMessage is how many items one review message holds: each takes two or
// three blocks of Slack's fifty. A review with more puts its items in its thread.
const reviewItemsPerMessage = 10

// Action ids of a review's buttons end in "_<item index>", so each is unique in its
// message; the value is "<review id>;<item index>;<API user id>".
const (
	actionReviewPrefix = "cakegate_review_"
	actionReviewKeep   = actionReviewPrefix + "keep_"
	actionReviewDelete = actionReviewPrefix + "delete_"
	actionReviewRevoke = actionReviewPrefix + "revoke_"
	actionReviewAdopt  = actionReviewPrefix + "adopt_"
)

// reviewPart is one message of a review: the first in the channel, the others in its thread.
type reviewPart struct {
	fallback string
	blocks   []slack.Block
}

// ReviewMessages renders review rv: its head message, with its items when they fit, else
// one thread reply per reviewItemsPerMessage items.
func ReviewMessages(rv *commands.Review) []reviewPart {
	head := reviewHead(rv)
	if len(rv.Items) <= reviewItemsPerMessage {
		s := &blockSet{}
		s.section("review_head", head)
		for i := range rv.Items {
			reviewItemBlocks(s, rv, i)
		}
		return []reviewPart{{fallback: head, blocks: s.blocks}}
	}
	s := &blockSet{}
	s.section("review_head", head+"\nThe API users to decide on are in this thread.")
	parts := []reviewPart{{fallback: head, blocks: s.blocks}}
	for from := 0; from < len(rv.Items); from += reviewItemsPerMessage {
		to := min(from+reviewItemsPerMessage, len(rv.Items))
		s := &blockSet{}
		for i := from; i < to; i++ {
			reviewItemBlocks(s, rv, i)
		}
		parts = append(parts, reviewPart{fallback: fmt.Sprintf("Access review: API users %d–%d of %d", from+1, to, len(rv.Items)), blocks: s.blocks})
	}
	return parts
}

// reviewHead says what the review found and how much is left to decide.
func reviewHead(rv *commands.Review) string {
	by := "on cakegate's schedule"
	if rv.StartedBy != commands.Actor {
		by = "by " + who(rv.StartedBy)
	}
	if rv.Failed != "" {
		return fmt.Sprintf(":warning: *Access review* started %s on %s: %s, so it classed nothing and deleted nothing. Try again in a few minutes with `/cakegate review`.", by, slackDate(rv.StartedAt), rv.Failed)
	}
	total := rv.Counts.Grants + rv.Counts.Unmanaged
	total += rv.Counts.Adopted
	text := fmt.Sprintf(":mag: *Access review* started %s on %s. The workspace has %s: %d owned by cakegate grants, %d adopted, %d unmanaged (made by hand in the Datacake portal, or by another installation; their tokens work until someone deletes them).",
		by, slackDate(rv.StartedAt), plural(total, "API user", "API users"), rv.Counts.Grants, rv.Counts.Adopted, rv.Counts.Unmanaged)
	grants := 0
	for _, it := range rv.Items {
		if it.Class != commands.ClassUnmanaged {
			grants++
		}
	}
	text += fmt.Sprintf("\nTo decide: every unmanaged API user (Adopt, Keep until the next review, or Delete), and %s older than %s (Keep, or Revoke).",
		plural(grants, "grant or adopted API user", "grants and adopted API users"), commands.FormatDuration(rv.GrantsOlderThan))
	switch open := rv.Open(); {
	case len(rv.Items) == 0:
		text += "\n:white_check_mark: Nothing to decide."
	case open == 0:
		text += "\n:white_check_mark: Every item is decided."
	default:
		text += fmt.Sprintf("\n*Still to decide: %d of %d.*", open, len(rv.Items))
	}
	return text
}

// reviewItemBlocks adds item i: what it is, and its buttons, or the decision made.
func reviewItemBlocks(s *blockSet, rv *commands.Review, i int) {
	it := rv.Items[i]
	name := escapeLimit(it.Name, 120)
	var text string
	switch it.Class {
	case commands.ClassGrant:
		text = fmt.Sprintf("*%s* · %s · role %s · API user %s\nGranted %s, ends %s",
			it.Request, who(it.Owner), escapeLimit(it.Role, 60), name, slackDate(it.Created), slackDate(it.Ends))
	case commands.ClassAdopted:
		text = fmt.Sprintf("*%s* · %s · adopted, %s · API user %s\nAdopted %s, ends %s",
			it.Request, who(it.Owner), escapeLimit(it.Origin, 200), name, slackDate(it.Created), slackDate(it.Ends))
	default:
		created := "created at an unknown time"
		if !it.Created.IsZero() {
			created = "created " + slackDate(it.Created)
		}
		text = fmt.Sprintf("*%s* · unmanaged, %s · %s", name, escapeLimit(it.Origin, 200), created)
	}
	text += fmt.Sprintf("\nWorkspace permissions: %s · may see %s", reviewPermissions(it.Permissions), plural(it.Devices, "device", "devices"))
	s.section("review_item_"+strconv.Itoa(i), text)
	if it.Decision != "" {
		s.context("review_decided_"+strconv.Itoa(i), reviewDecisionText(it))
		return
	}
	value := rv.ID + ";" + strconv.Itoa(i) + ";" + it.APIUserID
	idx := strconv.Itoa(i)
	if it.Class != commands.ClassUnmanaged {
		// A grant, or an adopted API user: it has an owner and an end, and is kept
		// (re-certified) or revoked as a grant is.
		s.actions("review_actions_"+idx,
			valueButton(actionReviewKeep+idx, "Keep", value, slack.StylePrimary),
			reviewConfirmed(actionReviewRevoke+idx, "Revoke", value, "Revoke "+it.Request.String()+"?",
				"Its token stops working at once, for whoever uses it.", "Revoke"))
		return
	}
	s.actions("review_actions_"+idx,
		valueButton(actionReviewAdopt+idx, "Adopt", value, slack.StylePrimary),
		valueButton(actionReviewKeep+idx, "Keep (ask again next review)", value, ""),
		reviewConfirmed(actionReviewDelete+idx, "Delete", value, "Delete this API user?",
			"Delete "+truncateRunes(it.Name, 80)+" in Datacake? Its token stops working at once, for whoever uses it, and this cannot be undone.", "Delete"))
}

// reviewConfirmed is a danger button that asks once more.
func reviewConfirmed(actionID, label, value, title, text, yes string) *slack.ButtonBlockElement {
	confirm := slack.NewConfirmationBlockObject(
		plainText(truncateRunes(title, maxConfirmTitle)),
		plainText(truncateRunes(text, maxConfirmText)),
		plainText(yes),
		plainText("Cancel"),
	).WithStyle(slack.StyleDanger)
	return valueButton(actionID, label, value, slack.StyleDanger).WithConfirm(confirm)
}

// reviewDecisionText says what was decided on an item, by whom and when.
func reviewDecisionText(it commands.ReviewItem) string {
	by := who(it.DecidedBy) + " on " + slackDate(it.DecidedAt)
	switch it.Decision {
	case commands.ReviewKept:
		return ":white_check_mark: Kept by " + by + "; the next review asks again."
	case commands.ReviewDeleted:
		return ":wastebasket: Deleted by " + by + "."
	case commands.ReviewRecertified:
		return ":white_check_mark: Re-certified by " + by + "."
	case commands.ReviewRevoked:
		return ":no_entry: Revoked by " + by + "."
	case commands.ReviewAdopted:
		return ":handshake: Adopted by " + by + "; it now ends like a grant."
	case commands.ReviewGone:
		return ":ghost: Already gone when " + who(it.DecidedBy) + " clicked, on " + slackDate(it.DecidedAt) + "."
	}
	return string(it.Decision) + " by " + by
}

// reviewPermissions lists workspace permissions, or says there are none.
func reviewPermissions(p []string) string {
	if len(p) == 0 {
		return "none"
	}
	out := make([]string, len(p))
	for i, x := range p {
		out[i] = escapeLimit(x, 40)
	}
	return strings.Join(out, ", ")
}

// parseReviewValue reads a review button's value and which choice its action id is.
func parseReviewValue(actionID, value string) (id string, index int, apiUser string, choice commands.ReviewChoice, err error) {
	switch {
	case strings.HasPrefix(actionID, actionReviewKeep):
		choice = commands.ChoiceKeep
	case strings.HasPrefix(actionID, actionReviewDelete):
		choice = commands.ChoiceDelete
	case strings.HasPrefix(actionID, actionReviewRevoke):
		choice = commands.ChoiceRevoke
	case strings.HasPrefix(actionID, actionReviewAdopt):
		choice = commands.ChoiceAdopt
	default:
		return "", 0, "", "", commands.Errorf(commands.CodeInvalid, "this button is not one cakegate knows. Start a new review with `/cakegate review`.")
	}
	parts := strings.SplitN(value, ";", 3)
	if len(parts) != 3 {
		return "", 0, "", "", commands.Errorf(commands.CodeInvalid, "this button is damaged. Start a new review with `/cakegate review`.")
	}
	index, err = strconv.Atoi(parts[1])
	if err != nil || index < 0 {
		return "", 0, "", "", commands.Errorf(commands.CodeInvalid, "this button is damaged. Start a new review with `/cakegate review`.")
	}
	return parts[0], index, parts[2], choice, nil
}
