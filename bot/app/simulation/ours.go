package simulation

import (
	"regexp"
	"strings"

	"github.com/cakegate/cakegate/commands"
)

// The one place that knows how cakegate names its API users. Today a name is
// "cakegate-r<request>-<requester>"; the lifetime issue (11) puts the installation in it
// ("cakegate-<install>-r42-<user>"). The simulation decides "ours" from what it saw happen
// (which installation created a user), never from names; names only say which request and
// which requester a token was made for.

// madeFor returns the request and the requester (lower case Slack id) an API user name
// made by cakegate points at.
func madeFor(name string) (commands.RequestID, string, bool) {
	id, ok := commands.RequestIDFromAPIUserName(name)
	if !ok {
		return 0, "", false
	}
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 0, "", false
	}
	return id, name[i+1:], true
}

// foreignName is the name another cakegate installation of today's code would give its
// API user for request n of user: the same form as ours, which is why a fresh or foreign
// database must not take them for its own orphans.
func foreignName(n int, user string) string {
	return commands.APIUserName(commands.RequestID(n), user)
}

// apiUserNamePattern finds names of cakegate's API users in a message.
var apiUserNamePattern = regexp.MustCompile(`cakegate-r\d+-[a-z0-9]+`)
