package commands

import (
	"fmt"
	"strings"
)

// isChannelID reports whether id looks like a Slack conversation id cakegate can post to:
// a public (C…) or private (G…, older workspaces) channel.
func isChannelID(id string) bool {
	if len(id) < 2 || (id[0] != 'C' && id[0] != 'G') {
		return false
	}
	for _, c := range id[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// checkChannelID returns what is wrong with an approvals_channel value, or "". A channel
// name is the usual mistake: Slack's API takes only ids, and a name would fail at the first
// request, not at start.
func checkChannelID(id string) string {
	if isChannelID(id) {
		return ""
	}
	const want = "is not a Slack channel id (C…)"
	const find = "open the channel, click its name, and copy the Channel ID at the bottom of the About tab"
	switch upper := strings.ToUpper(id); {
	case isChannelID(upper):
		return fmt.Sprintf("%s %s: Slack ids are upper case, like %s", showPolicyValue(id), want, upper)
	case strings.HasPrefix(id, "<#"):
		return fmt.Sprintf("%s %s: write the bare id, without <# >", showPolicyValue(id), want)
	case strings.HasPrefix(id, "D"):
		return fmt.Sprintf("%s %s; it looks like a direct message, but approvals need a channel the approvers share: %s", showPolicyValue(id), want, find)
	default:
		return fmt.Sprintf("%s %s; a channel name will not do: %s", showPolicyValue(id), want, find)
	}
}
