package slacktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// View is the current state of a modal or Home tab the bot opened, pushed,
// updated or published.
type View struct {
	ID              string
	Type            string // "modal" or "home"
	User            string // whose screen it is on
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Title           string // plain text of title, submit and close (modals)
	Submit          string
	Close           string
	Blocks          json.RawMessage
	Hash            string // changes on every update; views.update with a stale hash fails with hash_conflict
	RootViewID      string
	PreviousViewID  string
	Opened          time.Time
	Updated         time.Time
	Updates         int

	def map[string]any // the view as last sent, for answering like Slack
}

func (v *View) clone() View {
	c := *v
	c.Blocks = slices.Clone(v.Blocks)
	c.def = nil
	return c
}

// trigger is a trigger_id handed to the bot with an interaction: valid once,
// for 3 s, for the user who acted.
type trigger struct {
	user   string
	issued time.Time
	used   bool
}

// NewTriggerID mints a trigger_id for user, valid once within 3 s on the
// fake's clock, as Slack hands out with slash commands and interactions.
// SendSlashCommand and SendInteraction mint one themselves when none is given.
func (s *Server) NewTriggerID(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked(user)
}

func (s *Server) newTriggerLocked(user string) string {
	id := fmt.Sprintf("%d.%d.%08x", s.now().Unix(), 4200+s.nextIDLocked(), s.seq*2654435761)
	s.triggers[id] = &trigger{user: user, issued: s.now()}
	return id
}

// takeTriggerLocked consumes a trigger_id and says whose it is.
func (s *Server) takeTriggerLocked(id string) (user, code string) {
	t, found := s.triggers[id]
	switch {
	case !found:
		return "", "invalid_trigger_id"
	case t.used:
		return "", "exchanged_trigger_id"
	case s.now().Sub(t.issued) > s.cfg.triggerTTL:
		return "", "expired_trigger_id"
	}
	t.used = true
	return t.user, ""
}

// checkViewParam validates the view field of a views.* call; Slack answers
// invalid_arguments with the reasons for any view it will not show.
func (s *Server) checkViewParam(req *apiRequest, wantType string) (map[string]any, json.RawMessage, result) {
	raw, has := req.params["view"]
	if !has {
		return nil, nil, fail("invalid_arguments", "[ERROR] missing required field: view [json-pointer:/view]")
	}
	def, blocks, problems, err := validateView(raw, wantType)
	if err != nil {
		return nil, nil, fail("invalid_arguments", err.Error())
	}
	if len(problems) > 0 {
		return nil, nil, result{err: "invalid_arguments", problems: problems, blocks: blocks}
	}
	if ext, _ := def["external_id"].(string); ext != "" {
		for _, v := range s.views {
			if v.ExternalID == ext {
				return nil, nil, result{err: "duplicate_external_id", blocks: blocks}
			}
		}
	}
	return def, blocks, result{}
}

// setViewLocked stores def as the content of v and gives it a new hash.
func (s *Server) setViewLocked(v *View, def map[string]any, blocks json.RawMessage) {
	v.def = def
	v.Type, _ = def["type"].(string)
	v.CallbackID, _ = def["callback_id"].(string)
	v.ExternalID, _ = def["external_id"].(string)
	v.PrivateMetadata, _ = def["private_metadata"].(string)
	v.Title, v.Submit, v.Close = plainText(def["title"]), plainText(def["submit"]), plainText(def["close"])
	v.Blocks = blocks
	v.Hash = fmt.Sprintf("%d.%08x", s.now().Unix(), uint32(s.nextIDLocked())*2654435761)
}

// updateViewLocked replaces the content of a view that is shown, as views.update,
// views.publish and a response_action update do.
func (s *Server) updateViewLocked(v *View, def map[string]any, blocks json.RawMessage) {
	s.setViewLocked(v, def, blocks)
	v.Updated, v.Updates = s.now(), v.Updates+1
}

// pushViewLocked opens a modal on top of user's stack, which is not empty.
func (s *Server) pushViewLocked(user string, def map[string]any, blocks json.RawMessage) *View {
	stack := s.modals[user]
	v := s.newViewLocked(user, def, blocks)
	v.RootViewID, v.PreviousViewID = stack[0], stack[len(stack)-1]
	s.modals[user] = append(stack, v.ID)
	return v
}

func plainText(v any) string {
	m, _ := v.(map[string]any)
	text, _ := m["text"].(string)
	return text
}

func (s *Server) newViewLocked(user string, def map[string]any, blocks json.RawMessage) *View {
	v := &View{ID: fmt.Sprintf("V%08d", s.nextIDLocked()), User: user, Opened: s.now()}
	s.setViewLocked(v, def, blocks)
	s.views[v.ID] = v
	return v
}

// viewJSON answers a view the way views.* return it.
func (s *Server) viewJSON(v *View) map[string]any {
	out := maps.Clone(v.def)
	out["id"], out["team_id"], out["hash"] = v.ID, s.cfg.teamID, v.Hash
	out["blocks"] = v.Blocks
	out["state"] = map[string]any{"values": map[string]any{}}
	out["root_view_id"], out["previous_view_id"] = v.RootViewID, nilIfEmpty(v.PreviousViewID)
	out["app_id"], out["bot_id"], out["app_installed_team_id"] = s.cfg.appID, s.cfg.botID, s.cfg.teamID
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) viewResult(v *View, blocks json.RawMessage) result {
	return result{blocks: blocks, fields: map[string]any{"view": s.viewJSON(v)}}
}

func (s *Server) viewsOpen(req *apiRequest) result {
	user, code := s.takeTriggerLocked(req.params["trigger_id"])
	if code != "" {
		return fail(code)
	}
	def, blocks, res := s.checkViewParam(req, "modal")
	if res.err != "" {
		return res
	}
	// A modal already on the user's screen (a double click opens two) is replaced, with
	// its whole stack, as Slack's clients do; no view_closed is sent for it.
	v := s.newViewLocked(user, def, blocks)
	v.RootViewID = v.ID
	s.modals[user] = []string{v.ID}
	return s.viewResult(v, blocks)
}

// maxModalStack is how many modals Slack stacks: the root and two pushed.
const maxModalStack = 3

func (s *Server) viewsPush(req *apiRequest) result {
	user, code := s.takeTriggerLocked(req.params["trigger_id"])
	if code != "" {
		return fail(code)
	}
	stack := s.modals[user]
	if len(stack) == 0 {
		// Slack pushes only onto an open modal; the trigger must come from one.
		return fail("not_found")
	}
	if len(stack) >= maxModalStack {
		return fail("push_limit_reached")
	}
	def, blocks, res := s.checkViewParam(req, "modal")
	if res.err != "" {
		return res
	}
	return s.viewResult(s.pushViewLocked(user, def, blocks), blocks)
}

func (s *Server) viewsUpdate(req *apiRequest) result {
	var v *View
	if id := req.params["view_id"]; id != "" {
		v = s.views[id]
	} else if ext := req.params["external_id"]; ext != "" {
		for _, cand := range s.views {
			if cand.ExternalID == ext {
				v = cand
			}
		}
	} else {
		return fail("invalid_arguments", "[ERROR] view_id or external_id is required [json-pointer:/]")
	}
	if v == nil || (!s.viewIsShownLocked(v) && !s.acceptHidden) {
		return fail("not_found")
	}
	if h := req.params["hash"]; h != "" && h != v.Hash {
		return fail("hash_conflict")
	}
	def, blocks, res := s.checkViewParamKeepingExternalID(req, v)
	if res.err != "" {
		return res
	}
	s.updateViewLocked(v, def, blocks)
	return s.viewResult(v, blocks)
}

// checkViewParamKeepingExternalID validates an update, which may keep the view's
// own external_id and type.
func (s *Server) checkViewParamKeepingExternalID(req *apiRequest, v *View) (map[string]any, json.RawMessage, result) {
	ext := v.ExternalID
	v.ExternalID = "" // not a duplicate of itself
	defer func() { v.ExternalID = ext }()
	return s.checkViewParam(req, v.Type)
}

// AcceptUpdatesOfHiddenViews decides what views.update does with a modal that is no
// longer on its user's screen (replaced by a later views.open, or closed): by default
// it answers not_found; with accept, it answers ok and changes the view, which nobody
// sees, as Slack may (it keeps views by id, and its documentation does not say which
// it does). Code under test must leave its user informed either way.
func (s *Server) AcceptUpdatesOfHiddenViews(accept bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acceptHidden = accept
}

// viewIsShownLocked reports whether v is still on its user's screen: in the
// modal stack or the current Home tab.
func (s *Server) viewIsShownLocked(v *View) bool {
	return slices.Contains(s.modals[v.User], v.ID) || s.homes[v.User] == v.ID
}

func (s *Server) viewsPublish(req *apiRequest) result {
	user := req.params["user_id"]
	if _, found := s.users[user]; !found {
		return fail("user_not_found")
	}
	var current *View
	if id := s.homes[user]; id != "" {
		current = s.views[id]
	}
	if h := req.params["hash"]; h != "" && current != nil && h != current.Hash {
		return fail("hash_conflict")
	}
	var def map[string]any
	var blocks json.RawMessage
	var res result
	if current != nil {
		def, blocks, res = s.checkViewParamKeepingExternalID(req, current)
	} else {
		def, blocks, res = s.checkViewParam(req, "home")
	}
	if res.err != "" {
		return res
	}
	if current == nil {
		current = s.newViewLocked(user, def, blocks)
		current.RootViewID = current.ID
		s.homes[user] = current.ID
	} else {
		s.updateViewLocked(current, def, blocks)
	}
	return s.viewResult(current, blocks)
}

// Views returns the modals open on user's screen, root first; empty when none is.
func (s *Server) Views(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.modals[user] {
		out = append(out, s.views[id].clone())
	}
	return out
}

// HomeTab returns the Home tab last published for user.
func (s *Server) HomeTab(user string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, found := s.views[s.homes[user]]
	if !found {
		return View{}, false
	}
	return v.clone(), true
}

// View returns any view by id, open or not.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, found := s.views[id]
	if !found {
		return View{}, false
	}
	return v.clone(), true
}

// CloseModals dismisses every modal on user's screen, as the user pressing
// Close would (no view_closed interaction is sent).
func (s *Server) CloseModals(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.modals, user)
	s.notifyLocked()
}
