package slacktest

import (
	"net/http"
	"slices"
)

// IssuedResponseURLs returns every response URL the fake handed out, sorted. Each works as a
// credential for 30 minutes, so a test can search logs for them as for tokens.
func (s *Server) IssuedResponseURLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.responses))
	for id := range s.responses {
		out = append(out, s.hs.URL+"/response/"+id)
	}
	slices.Sort(out)
	return out
}

// IssuedTriggerIDs returns every trigger_id the fake handed out, sorted.
func (s *Server) IssuedTriggerIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.triggers))
	for id := range s.triggers {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// DropResponseURLNext makes the next n posts to any response URL fail as a network does:
// the connection is closed without an answer, so the client's error names the URL.
func (s *Server) DropResponseURLNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropResponses += n
}

// dropResponseLocked reports whether this post to a response URL is to be dropped, and
// closes its connection if so.
func (s *Server) dropResponseLocked(w http.ResponseWriter) bool {
	if s.dropResponses == 0 {
		return false
	}
	s.dropResponses--
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return true
		}
	}
	panic(http.ErrAbortHandler)
}
