package datacaketest

import "encoding/json"

// PartialAPIUsersNext makes the next n answers to the API user list (WorkspaceApiUsers)
// partial, as a GraphQL server answers when one entry failed to resolve: the first API
// user's entry is null and the answer carries an error beside the data. A client must not
// take such a list for the whole workspace.
func (s *Server) PartialAPIUsersNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partialAPIUsers = n
}

// partialDue reports whether this answer to operation is to be made partial.
func (s *Server) partialDue(operation string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if operation != "WorkspaceApiUsers" || s.partialAPIUsers <= 0 {
		return false
	}
	s.partialAPIUsers--
	return true
}

// makePartial nulls the first API user entry of a WorkspaceApiUsers answer and adds an
// error for it. An answer of another shape is returned as it was.
func makePartial(resp []byte) []byte {
	var env struct {
		Data struct {
			Workspace map[string]json.RawMessage `json:"workspace"`
		} `json:"data"`
	}
	if json.Unmarshal(resp, &env) != nil || env.Data.Workspace == nil {
		return resp
	}
	var rels []json.RawMessage
	if json.Unmarshal(env.Data.Workspace["apiUserRelationships"], &rels) != nil || len(rels) == 0 {
		return resp
	}
	rels[0] = json.RawMessage("null")
	env.Data.Workspace["apiUserRelationships"], _ = json.Marshal(rels)
	out, err := json.Marshal(map[string]any{
		"data": env.Data,
		"errors": []map[string]any{{
			"message": "datacaketest: injected failure resolving an API user",
			"path":    []any{"workspace", "apiUserRelationships", 0},
		}},
	})
	if err != nil {
		return resp
	}
	return out
}
