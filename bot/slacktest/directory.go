package slacktest

import (
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// User is a workspace member known to the fake. Only registered users exist:
// users.info, conversations.open and posts to their DMs fail for anyone else,
// as they would for a mistyped id in Slack.
type User struct {
	ID          string // e.g. "U01ALICE"
	Name        string // the handle, e.g. "alice"
	RealName    string
	DisplayName string
	Email       string
	TZ          string // IANA name, e.g. "Europe/Berlin"; users.info derives tz_offset from it
	IsBot       bool
	Deleted     bool // deactivated: DMs fail with user_disabled
}

// AddUser registers or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// AddUserGroup registers a user group (id like "S0APPROVERS") and its members,
// as usergroups.users.list returns them.
func (s *Server) AddUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[id] = slices.Clone(members)
}

// AddChannel names a channel for conversations.info. Channels need not be
// registered to be posted to; use SetChannelError to make one fail.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

// DMChannel is the id of the bot's DM channel with user, as conversations.open
// returns it.
func DMChannel(user string) string { return "D" + user }

// slackUser renders u the way users.info answers.
func (s *Server) slackUser(u User) slack.User {
	su := slack.User{
		ID: u.ID, TeamID: s.cfg.teamID, Name: u.Name, RealName: u.RealName,
		Deleted: u.Deleted, IsBot: u.IsBot, TZ: u.TZ, TZLabel: u.TZ, Locale: "en-US",
		Profile: slack.UserProfile{
			RealName: u.RealName, RealNameNormalized: u.RealName,
			DisplayName: u.DisplayName, DisplayNameNormalized: u.DisplayName, Email: u.Email,
		},
	}
	if loc, err := time.LoadLocation(u.TZ); err == nil && u.TZ != "" {
		name, off := s.now().In(loc).Zone()
		su.TZOffset, su.TZLabel = off, name
	}
	return su
}

func (s *Server) usersInfo(req *apiRequest) result {
	if list := req.params["users"]; list != "" {
		// slack-go's GetUsersInfo asks for several users at once.
		var out []slack.User
		for id := range strings.SplitSeq(list, ",") {
			u, found := s.users[id]
			if !found {
				return fail("user_not_found")
			}
			out = append(out, s.slackUser(u))
		}
		return ok(map[string]any{"users": out})
	}
	u, found := s.users[req.params["user"]]
	if !found {
		return fail("user_not_found")
	}
	return ok(map[string]any{"user": s.slackUser(u)})
}

func (s *Server) usergroupUsers(req *apiRequest) result {
	members, found := s.groups[req.params["usergroup"]]
	if !found {
		return fail("no_such_subteam")
	}
	return ok(map[string]any{"users": append([]string{}, members...)})
}

// botsInfo answers for the fake's own bot only, with its app id.
func (s *Server) botsInfo(req *apiRequest) result {
	if req.params["bot"] != s.cfg.botID {
		return fail("bot_not_found")
	}
	return ok(map[string]any{"bot": map[string]any{
		"id": s.cfg.botID, "app_id": s.cfg.appID, "name": "cakegate", "deleted": false, "user_id": s.cfg.botUserID,
	}})
}

func (s *Server) authTest(*apiRequest) result {
	return ok(map[string]any{
		"url": "https://cakegate-test.slack.com/", "team": "cakegate test", "user": "cakegate",
		"team_id": s.cfg.teamID, "user_id": s.cfg.botUserID, "bot_id": s.cfg.botID,
	})
}
