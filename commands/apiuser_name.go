package commands

import (
	"fmt"
	"strconv"
	"strings"
)

// APIUserPrefix starts the name of every API user any cakegate creates.
const APIUserPrefix = "cakegate-"

// APIUserName is the name cakegate gives the Datacake API user of a request, so that it can
// recognise its own API users later: "cakegate-k3f9q2-r42-u012ab3cd". installation is the
// database's installation id, so two cakegates sharing a workspace (or a fresh database)
// never take each other's API users for orphans. An empty installation gives the name used
// before installation ids existed, "cakegate-r42-u012ab3cd".
func APIUserName(installation string, id RequestID, requester string) string {
	if installation == "" {
		return fmt.Sprintf("%sr%d-%s", APIUserPrefix, uint64(id), strings.ToLower(requester))
	}
	return fmt.Sprintf("%s%s-r%d-%s", APIUserPrefix, installation, uint64(id), strings.ToLower(requester))
}

// APIUserOrigin is what an API user's name says about where it came from.
type APIUserOrigin struct {
	// Installation made it; "" for a name from before installation ids.
	Installation string
	Request      RequestID
	// User is the Slack user id the name ends with, as Slack writes it ("U012AB3CD"), or ""
	// if that part does not look like one.
	User string
}

// ParseAPIUserName reads a name APIUserName made. ok is false for any other name, including
// the names of API users people made by hand.
func ParseAPIUserName(name string) (o APIUserOrigin, ok bool) {
	rest, found := strings.CutPrefix(name, APIUserPrefix)
	if !found {
		return APIUserOrigin{}, false
	}
	first, after, _ := strings.Cut(rest, "-")
	// cakegate-<installation>-r42-user first: an installation id may itself look like
	// "r23456", and a legacy name's user part (a Slack id) never looks like "r42".
	if req, user, found := strings.Cut(after, "-"); found && isInstallationID(first) {
		if id, ok := requestPart(req); ok {
			return APIUserOrigin{Installation: first, Request: id, User: slackUserPart(user)}, true
		}
	}
	if id, ok := requestPart(first); ok {
		return APIUserOrigin{Request: id, User: slackUserPart(after)}, true
	}
	return APIUserOrigin{}, false
}

// requestPart reads "r42".
func requestPart(s string) (RequestID, bool) {
	num, ok := strings.CutPrefix(s, "r")
	if !ok || num == "" || num[0] < '1' || num[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n == 0 {
		return 0, false
	}
	return RequestID(n), true
}

// isInstallationID reports whether s could be an installation id: a few lowercase letters
// and digits.
func isInstallationID(s string) bool {
	if len(s) < 4 || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// slackUserPart turns the lowercased user part of a name back into a Slack user id, or ""
// if it is not one (a person may have renamed the API user).
func slackUserPart(s string) string {
	if len(s) < 3 || len(s) > 20 || (s[0] != 'u' && s[0] != 'w') {
		return ""
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return ""
		}
	}
	return strings.ToUpper(s)
}
