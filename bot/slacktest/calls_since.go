package slacktest

// CallCount returns how many Web API calls the fake has recorded.
func (s *Server) CallCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// CallsSince returns the calls recorded after the first n, oldest first: a test that
// checks every call as it comes (the simulation, after each step) reads each once.
func (s *Server) CallsSince(n int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		n = 0
	}
	if n >= len(s.calls) {
		return nil
	}
	out := make([]Call, 0, len(s.calls)-n)
	for _, c := range s.calls[n:] {
		out = append(out, c.clone())
	}
	return out
}
