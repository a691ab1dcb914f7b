package bot

import "fmt"

// homeAccess is the approvers' line about the workspace's API users: how many of each class
// the last full list found, and when the next access review runs.
func (b *Bot) homeAccess() string {
	text := "*Access reviews*"
	if c, ok := b.svc.AccessCounts(); ok {
		text += fmt.Sprintf(" · the workspace has %s owned by grants, %d adopted, %d unmanaged (as of %s).",
			plural(c.Grants, "API user", "API users"), c.Adopted, c.Unmanaged, slackDate(c.At))
	} else {
		text += " · the workspace's API users have not been counted since cakegate started."
	}
	if next := b.svc.NextReview(b.now()); !next.IsZero() {
		text += " Next review: " + slackDate(next) + "."
	} else {
		text += " Reviews run on demand: `/cakegate review`."
	}
	return text
}
