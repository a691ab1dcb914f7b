package slacktest

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// apiRequest is a Web API call decoded the same way whatever its encoding.
type apiRequest struct {
	method string
	params map[string]string
	token  string
}

// result is what a method handler answers; the caller writes and records it.
type result struct {
	fields   map[string]any // merged into {"ok":true,…}
	err      string
	problems []string
	blocks   json.RawMessage
}

func fail(code string, problems ...string) result { return result{err: code, problems: problems} }

func ok(fields map[string]any) result { return result{fields: fields} }

// method describes one Web API method of the fake.
type method struct {
	appToken bool // apps.connections.open wants the xapp- token, all others the bot token
	handle   func(*Server, *apiRequest) result
}

// methodFor returns the fake's implementation of a Web API method.
func methodFor(name string) (method, bool) {
	switch name {
	case "auth.test":
		return method{handle: (*Server).authTest}, true
	case "bots.info":
		return method{handle: (*Server).botsInfo}, true
	case "chat.postMessage":
		return method{handle: (*Server).postMessage}, true
	case "chat.postEphemeral":
		return method{handle: (*Server).postEphemeral}, true
	case "chat.update":
		return method{handle: (*Server).updateMessage}, true
	case "conversations.open":
		return method{handle: (*Server).openConversation}, true
	case "conversations.info":
		return method{handle: (*Server).conversationInfo}, true
	case "chat.getPermalink":
		return method{handle: (*Server).getPermalink}, true
	case "conversations.history":
		return method{handle: (*Server).conversationHistory}, true
	case "views.open":
		return method{handle: (*Server).viewsOpen}, true
	case "views.push":
		return method{handle: (*Server).viewsPush}, true
	case "views.update":
		return method{handle: (*Server).viewsUpdate}, true
	case "views.publish":
		return method{handle: (*Server).viewsPublish}, true
	case "users.info":
		return method{handle: (*Server).usersInfo}, true
	case "usergroups.users.list":
		return method{handle: (*Server).usergroupUsers}, true
	case "apps.connections.open":
		return method{appToken: true, handle: (*Server).connectionsOpen}, true
	}
	return method{}, false
}

// serveAPI decodes, authenticates, applies injected faults, runs the method and
// records the call, in that order, like Slack's own front door.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	req, err := decodeRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := Call{Method: req.method, Params: req.params, Token: req.token}

	s.mu.Lock()
	call.Time = s.now()
	m, known := methodFor(req.method)
	var res result
	var f *fault
	switch {
	case !known:
		res = fail("unknown_method")
	default:
		if code := s.checkToken(req.token, m.appToken); code != "" {
			res = fail(code)
			break
		}
		if f = s.takeFaultLocked(req); f != nil && f.slackError != "" {
			res = fail(f.slackError)
			f = nil
			break
		}
		if f == nil {
			res = m.handle(s, req)
		}
	}
	switch {
	case f != nil && f.status == http.StatusTooManyRequests:
		call.Error = "ratelimited"
	case f != nil:
		call.Error = "http_5xx"
	default:
		call.Error = res.err
		call.Problems = res.problems
		call.Blocks = res.blocks
	}
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	if f != nil {
		f.write(w)
		return
	}
	writeResult(w, res)
}

// checkToken answers the error Slack gives for a missing, wrong or misplaced token.
func (s *Server) checkToken(token string, wantApp bool) string {
	switch {
	case token == "":
		return "not_authed"
	case token == s.cfg.botToken && !wantApp, token == s.cfg.appToken && wantApp:
		return ""
	case token == s.cfg.botToken || token == s.cfg.appToken:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}

func writeResult(w http.ResponseWriter, res result) {
	body := map[string]any{"ok": res.err == ""}
	if res.err != "" {
		body["error"] = res.err
		if len(res.problems) > 0 {
			body["response_metadata"] = map[string]any{"messages": res.problems}
		}
	}
	for k, v := range res.fields {
		body[k] = v
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// decodeRequest reads a form-encoded or JSON body (and any query string) into
// flat params; slack-go sends most methods as forms and views.* and
// apps.connections.open as JSON.
func decodeRequest(r *http.Request) (*apiRequest, error) {
	req := &apiRequest{method: strings.TrimPrefix(r.URL.Path, "/api/"), params: map[string]string{}}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.URL.Query() {
		req.params[k] = v[0]
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype == "application/json" {
		if len(strings.TrimSpace(string(body))) > 0 {
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(body, &fields); err != nil {
				return nil, err
			}
			for k, v := range fields {
				var str string
				if json.Unmarshal(v, &str) == nil {
					req.params[k] = str
				} else {
					req.params[k] = string(v)
				}
			}
		}
		// Slack reads no token from a JSON body, only from the header.
		delete(req.params, "token")
	} else {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		for k, v := range form {
			req.params[k] = v[0]
		}
		req.token = req.params["token"]
		delete(req.params, "token")
	}
	if auth, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
		req.token = auth
	}
	return req, nil
}
