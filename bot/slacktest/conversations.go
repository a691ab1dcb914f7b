package slacktest

import (
	"slices"
	"strings"
)

// resolveChannelLocked maps what a caller passed as channel to the channel the
// message lands in, the way Slack does: a user id means the bot's DM with that
// user. dmUser is set for DM channels. code is the Slack error, if any.
func (s *Server) resolveChannelLocked(channel string) (id, dmUser, code string) {
	if channel == "" {
		return "", "", "channel_not_found"
	}
	if code := s.chanErrs[channel]; code != "" {
		return "", "", code
	}
	id = channel
	switch channel[0] {
	case 'U', 'W':
		dmUser, id = channel, DMChannel(channel)
	case 'D':
		dmUser = channel[1:]
	default:
		return id, "", ""
	}
	if code := s.chanErrs[id]; code != "" {
		return "", "", code
	}
	if code := s.dmErrorLocked(dmUser); code != "" {
		return "", "", code
	}
	return id, dmUser, ""
}

// dmErrorLocked says why the bot cannot hold a DM with user, or "".
func (s *Server) dmErrorLocked(user string) string {
	u, found := s.users[user]
	switch {
	case !found:
		return "channel_not_found"
	case s.blockedDMs[user] != "":
		return s.blockedDMs[user]
	case u.Deleted:
		return "user_disabled"
	case user == s.cfg.botUserID:
		return "cannot_dm_bot"
	}
	return ""
}

func (s *Server) openConversation(req *apiRequest) result {
	users := strings.Split(req.params["users"], ",")
	if req.params["users"] == "" {
		users = nil
	}
	if ch := req.params["channel"]; ch != "" && len(users) == 0 {
		// Resuming a conversation by id: only DMs are known to the fake.
		id, _, code := s.resolveChannelLocked(ch)
		if code != "" {
			return fail(code)
		}
		return ok(map[string]any{"channel": map[string]any{"id": id}, "already_open": s.opened[id], "no_op": s.opened[id]})
	}
	switch {
	case len(users) == 0:
		return fail("users_list_not_supplied")
	case len(users) > 8:
		return fail("too_many_users")
	}
	for _, u := range users {
		if _, found := s.users[u]; !found {
			return fail("user_not_found")
		}
		if code := s.dmErrorLocked(u); code != "" {
			return fail(code)
		}
	}
	channel := map[string]any{"created": s.now().Unix(), "is_open": true}
	if len(users) == 1 {
		channel["id"], channel["is_im"], channel["user"] = DMChannel(users[0]), true, users[0]
	} else {
		sorted := slices.Sorted(slices.Values(users))
		channel["id"], channel["is_mpim"] = "G"+strings.Join(sorted, ""), true
	}
	id := channel["id"].(string)
	already := s.opened[id]
	s.opened[id] = true
	if req.params["return_im"] != "true" {
		channel = map[string]any{"id": id}
	}
	return ok(map[string]any{"channel": channel, "already_open": already, "no_op": already})
}

func (s *Server) conversationInfo(req *apiRequest) result {
	ch := req.params["channel"]
	if code := s.chanErrs[ch]; code != "" && code != "not_in_channel" {
		return fail(code)
	}
	if ch == "" {
		return fail("channel_not_found")
	}
	info := map[string]any{"id": ch, "created": s.now().Unix()}
	switch ch[0] {
	case 'D':
		if _, found := s.users[ch[1:]]; !found {
			return fail("channel_not_found")
		}
		info["is_im"], info["user"], info["is_open"] = true, ch[1:], s.opened[ch]
	case 'C', 'G':
		name := s.channels[ch]
		if name == "" {
			name = strings.ToLower(ch)
		}
		info["name"], info["name_normalized"] = name, name
		info["is_channel"], info["is_private"] = ch[0] == 'C', ch[0] == 'G'
		info["is_member"] = s.chanErrs[ch] != "not_in_channel"
	default:
		return fail("channel_not_found")
	}
	return ok(map[string]any{"channel": info})
}
