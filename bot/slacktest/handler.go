package slacktest

import "net/http"

// Handler is the fake's HTTP handler (Web API, response URLs, Socket Mode), for a test
// that serves requests in process rather than over loopback: the simulation calls it from
// its transport, so a call costs no connection. URL still names the started server.
func (s *Server) Handler() http.Handler { return s.hs.Config.Handler }
