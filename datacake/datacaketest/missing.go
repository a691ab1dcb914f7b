package datacaketest

// MissingDeleteAnswer is how the fake answers deleteApiUser for an id it does not hold.
// Datacake's own answer is not documented; both forms below occur in Django/graphene
// backends, and cakegate must treat either as "already gone" once it has looked.
type MissingDeleteAnswer int

const (
	// MissingOKFalse answers {"data":{"deleteApiUser":{"ok":false}}} (the default).
	MissingOKFalse MissingDeleteAnswer = iota
	// MissingDjangoError answers Django's DoesNotExist as graphene reports it: a top-level
	// error "User matching query does not exist." without extensions, and null data.
	MissingDjangoError
)

// SetMissingDeleteAnswer sets how a delete of an unknown API user id is answered.
func (s *Server) SetMissingDeleteAnswer(a MissingDeleteAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missingDelete = a
}

// missingDeleteLocked answers a delete of an id the fake does not hold. s.mu is held.
func (s *Server) missingDeleteLocked() (any, error) {
	if s.missingDelete == MissingDjangoError {
		return nil, &fieldError{message: "User matching query does not exist."}
	}
	return okNode{"DeleteApiUser", false}, nil
}
