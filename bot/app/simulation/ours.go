package simulation

import (
	"regexp"

	"github.com/cakegate/cakegate/commands"
)

// The one place that knows how cakegate names its API users: since the lifetime issue (11)
// a name carries the database's installation id, "cakegate-<install>-r42-<user>"
// (commands.APIUserName). The simulation decides "ours" from what it saw happen
// (which installation created a user), never from names; names only say which request and
// which requester a token was made for.

// madeFor returns the request and the requester (their Slack id, as Slack writes it) an
// API user name made by cakegate points at.
func madeFor(name string) (commands.RequestID, string, bool) {
	o, ok := commands.ParseAPIUserName(name)
	if !ok || o.User == "" {
		return 0, "", false
	}
	return o.Request, o.User, true
}

// foreignInstallations are the installation ids of other cakegates on the same workspace;
// "" is a cakegate from before installation ids, whose names carry none.
var foreignInstallations = []string{"zz9f0reign", "q7q7q7", ""}

// foreignName is the name another cakegate installation would give its API user for
// request n of user: the same form as ours, with the same request numbers, which is why
// a fresh or foreign database must not take them for its own orphans.
func foreignName(installation string, n int, user string) string {
	return commands.APIUserName(installation, commands.RequestID(n), user)
}

// apiUserNamePattern finds names of cakegate's API users in a message.
var apiUserNamePattern = regexp.MustCompile(`cakegate-(?:[a-z0-9]{4,16}-)?r\d+-[a-z0-9]+`)
