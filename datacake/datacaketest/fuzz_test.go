package datacaketest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// FuzzServeHTTP feeds the fake arbitrary documents and variables: it must answer 200 or
// 400 with JSON, never panic.
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range []struct{ query, vars string }{
		{`{ user { id email isApiuser } }`, ``},
		{`query Q($id: String) { workspace(id: $id) { id myPermissions apiUserRelationships { id user { name } deviceRelationships { device { id } } } } }`, `{"id":"ws-1"}`},
		{`query D($ws: String!, $t: [String]) { allDevices(inWorkspace: $ws, searchTags: $t, searchTagsAnyAll: any) { id tags } }`, `{"ws":"ws-1","t":["a",null]}`},
		{`mutation M($i: ApiUserInput!) { addApiUser(input: $i) { ok apiUser { id apiKey } } }`, `{"i":{"workspace":"ws-1","name":"n","wsPermissions":["devices"],"deviceRelationships":[{"device":"d","permissions":[]}]}}`},
		{`mutation { deleteApiUser(id: "x") { ok } }`, ``},
		{`{ workspace(id: "ws-1") { devicesFiltered(page: 99999999999, pageSize: -1) { total } } }`, ``},
		{`{ __schema { types { name } } }`, ``},
		{`{ a: user { id } a: user { email } }`, `[]`},
	} {
		f.Add(seed.query, seed.vars)
	}
	s := datacaketest.New()
	s.AddWorkspace("ws-1", "Acme", "acme")
	s.AddDevice("ws-1", datacaketest.Device{ID: "d", Name: "D", Serial: "S", Tags: []string{"a"}})
	s.AddToken("t", map[string][]string{"ws-1": {"members"}})
	f.Fuzz(func(t *testing.T, query, vars string) {
		body := map[string]any{"query": query}
		if json.Valid([]byte(vars)) {
			body["variables"] = json.RawMessage(vars)
		}
		b, err := json.Marshal(body)
		if err != nil {
			return
		}
		req := httptest.NewRequest(http.MethodPost, datacaketest.Path, strings.NewReader(string(b)))
		req.Header.Set("Authorization", "Token t")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", rec.Code, query)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON answer %q", rec.Body.String())
		}
	})
}
