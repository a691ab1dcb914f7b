package datacaketest

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// maxRequestBody bounds what the fake reads of a request.
const maxRequestBody = 1 << 20

// ServeHTTP answers a GraphQL POST as Datacake would: 401 with an empty body for an unknown
// token, 400 for an invalid document, 200 with data or errors otherwise.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path && r.URL.Path != strings.TrimSuffix(Path, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	i := s.arrive()
	a := s.serve(w, r)
	s.depart(i, a.operation, a.variables, a.status)
	if a.drop {
		dropConnection(w)
	}
}

// answer is what serve did, for the call record.
type answer struct {
	operation string
	variables map[string]any
	status    int
	drop      bool // close the connection without answering
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) answer {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	badBody := readErr != nil || len(body) > maxRequestBody || json.Unmarshal(body, &req) != nil
	a := answer{operation: req.OperationName, variables: req.Variables}

	if status, answered := s.waitHold(r.Context(), req.OperationName); !answered {
		a.status = status
		if status != 0 {
			w.WriteHeader(status)
		}
		return a
	}
	if d := s.latency(); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return a // the client gave up; nobody reads an answer
		case <-s.closing:
			a.status = http.StatusServiceUnavailable
			w.WriteHeader(a.status)
			return a
		}
	}
	if status, after := s.injected(); status != 0 {
		if after > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
		}
		a.status = status
		writeErrors(w, status, gqlerror.Errorf("datacaketest: injected HTTP %d", status))
		return a
	}
	caller := s.authenticate(r.Header.Get("Authorization"))
	if caller == nil {
		a.status = http.StatusUnauthorized
		w.WriteHeader(a.status) // Datacake sends an empty body
		return a
	}
	a.status = http.StatusBadRequest
	if badBody {
		writeErrors(w, a.status, gqlerror.Errorf("request body must be a JSON object with a query"))
		return a
	}
	doc, errs := loadQuery(req.Query)
	if len(errs) > 0 {
		writeErrors(w, a.status, errs...)
		return a
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		writeErrors(w, a.status, gqlerror.Errorf("no operation named %q in the document", req.OperationName))
		return a
	}
	a.operation = op.Name
	// A second decoding, because VariableValues writes coerced values into its argument and
	// the call record keeps what was sent.
	var fresh struct {
		Variables map[string]any `json:"variables"`
	}
	_ = json.Unmarshal(body, &fresh)
	vars, err := validator.VariableValues(loadSchema(), op, fresh.Variables)
	if err != nil {
		writeErrors(w, a.status, gqlerror.WrapIfUnwrapped(err))
		return a
	}
	resp, drop := s.execute(caller, op, vars)
	if drop {
		a.status, a.drop = 0, true
		return a
	}
	if s.partialDue(op.Name) {
		resp = makePartial(resp)
	}
	a.status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write(resp)
	return a
}

// authenticate returns whoever "Token <token>" belongs to, or nil.
func (s *Server) authenticate(header string) *principal {
	token, ok := strings.CutPrefix(header, "Token ")
	if !ok || token == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.principals[token]
}

// writeErrors answers with a GraphQL errors list and no data.
func writeErrors(w http.ResponseWriter, status int, errs ...*gqlerror.Error) {
	b, _ := json.Marshal(map[string]any{"errors": errs})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// dropConnection closes the client's connection without an answer, as a network failure
// after the server committed would.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection without logging
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
