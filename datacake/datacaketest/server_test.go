package datacaketest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

func TestSchemaLoads(t *testing.T) {
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: datacaketest.Schema}); err != nil {
		t.Fatal(err)
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	s := datacaketest.New()
	if s.URL() != "" {
		t.Errorf("URL before Start = %q, want empty", s.URL())
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" || u.Path != datacaketest.Path {
		t.Errorf("URL = %s, want http://127.0.0.1:port%s", u, datacaketest.Path)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	s.Close()
	s.Close() // twice is fine
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		header string
		want   int
	}{
		{"OK", "Token " + ownerToken, http.StatusOK},
		{"NoHeader", "", http.StatusUnauthorized},
		{"UnknownToken", "Token nope", http.StatusUnauthorized},
		{"BearerScheme", "Bearer " + ownerToken, http.StatusUnauthorized},
		{"EmptyToken", "Token ", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.URL(), strings.NewReader(`{"query":"{ user { id } }"}`))
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusUnauthorized && resp.ContentLength != 0 {
				t.Errorf("401 with a body of %d bytes, want empty", resp.ContentLength)
			}
		})
	}
}

func TestInvalidDocumentIs400(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"MisspeltField", `{ user { id emial } }`, nil},
		{"SyntaxError", `{ user { id `, nil},
		{"UnknownArgument", `{ workspace(ident: "ws-1") { id } }`, nil},
		{"MissingRequiredVariable", `query Q($id: String!) { workspace(id: $id) { id } }`, nil},
		{"WrongVariableType", `query Q($id: String!) { workspace(id: $id) { id } }`, map[string]any{"id": true}},
		{"InvalidEnum", `mutation M($i: ApiUserInput!) { addApiUser(input: $i) { ok } }`,
			map[string]any{"i": map[string]any{"workspace": ws, "name": "n", "wsPermissions": []any{"godmode"}, "deviceRelationships": []any{}}}},
		{"NoSelectionOnObject", `{ user }`, nil},
		{"EmptyQuery", ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, b := gql(t, f.URL(), ownerToken, tc.query, tc.vars)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", status, b)
			}
			if r := decode(t, b); len(r.Errors) == 0 {
				t.Errorf("400 without errors: %s", b)
			}
		})
	}
}

func TestNotAuthorizedHasNullData(t *testing.T) {
	f := newFixture(t)
	apiUsers := `query Q($id: String!) { workspace(id: $id) { id apiUserRelationships { id } } }`
	for _, tc := range []struct {
		name, token, query string
		vars               map[string]any
	}{
		{"APIUsersWithoutMembers", observerToken, apiUsers, map[string]any{"id": ws}},
		{"WorkspaceOfNonMember", ownerToken, apiUsers, map[string]any{"id": otherWS}},
		{"UnknownWorkspace", ownerToken, apiUsers, map[string]any{"id": "nope"}},
		{"DevicesOfNonMember", ownerToken, `{ allDevices(inWorkspace: "ws-2") { id } }`, nil},
		{"CreateWithoutMembers", observerToken, `mutation { addApiUser(input: {workspace: "ws-1", name: "x", wsPermissions: [], deviceRelationships: []}) { ok } }`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, b := gql(t, f.URL(), tc.token, tc.query, tc.vars)
			r := decode(t, b)
			if status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "NOT_AUTHORIZED" || string(r.Data) != "null" {
				t.Fatalf("got %d %s, want 200 with one NOT_AUTHORIZED error and null data", status, b)
			}
		})
	}
	if n := len(f.APIUsers(ws)); n != 0 {
		t.Errorf("%d API users after refused creates", n)
	}
}

func TestAnswersOnlyWhatWasAsked(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"Aliases", `{ allWorkspaces { slug theName: name } }`, nil,
			`{"allWorkspaces":[{"slug":"acme","theName":"Acme"}]}`},
		{"Variables", `query Q($id: String) { workspace(id: $id) { myPermissions name } }`, map[string]any{"id": ws},
			`{"workspace":{"myPermissions":["members","devices"],"name":"Acme"}}`},
		{"Fragments", `query { workspace(id: "ws-1") { ...W } } fragment W on WorkspaceType { slug ... on WorkspaceType { __typename } }`, nil,
			`{"workspace":{"slug":"acme","__typename":"WorkspaceType"}}`},
		{"SkipInclude", `query Q($no: Boolean!) { workspace(id: "ws-1") { slug @skip(if: $no) name @include(if: $no) } }`, map[string]any{"no": true},
			`{"workspace":{"name":"Acme"}}`},
		{"MergedFields", `{ workspace(id: "ws-1") { slug } workspace(id: "ws-1") { name } }`, nil,
			`{"workspace":{"slug":"acme","name":"Acme"}}`},
		{"SearchByNameOrSerial", `{ allDevices(inWorkspace: "ws-1", searchName: "sn-p") { verboseName } }`, nil,
			`{"allDevices":[{"verboseName":"Pump"}]}`},
		{"SearchTagsAny", `{ allDevices(inWorkspace: "ws-1", searchTags: ["heating", "nothing"], searchTagsAnyAll: any) { verboseName } }`, nil,
			`{"allDevices":[{"verboseName":"Boiler"}]}`},
		{"SearchTagsAll", `{ allDevices(inWorkspace: "ws-1", searchTags: ["heating", "basement"], searchTagsAnyAll: all) { verboseName } }`, nil,
			`{"allDevices":[{"verboseName":"Boiler"}]}`},
		{"SearchTag", `{ allDevices(inWorkspace: "ws-1", searchTag: "basement") { verboseName } }`, nil,
			`{"allDevices":[{"verboseName":"Boiler"},{"verboseName":"Pump"}]}`},
		{"Online", `{ allDevices(online: false) { verboseName } }`, nil,
			`{"allDevices":[{"verboseName":"Pump"}]}`},
		{"DevicesFilteredPaged", `{ workspace(id: "ws-1") { devicesFiltered(page: 2, pageSize: 1, tags: {overlap: ["basement"]}) { total devices { serialNumber } } } }`, nil,
			`{"workspace":{"devicesFiltered":{"total":2,"devices":[{"serialNumber":"SN-P1"}]}}}`},
		{"AllTags", `{ workspace(id: "ws-1") { allTags deviceCount } }`, nil,
			`{"workspace":{"allTags":["heating","basement"],"deviceCount":2}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustOK(t, f.URL(), ownerToken, tc.query, tc.vars); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	// idIn needs the generated id.
	got := mustOK(t, f.URL(), ownerToken, `query Q($ids: [UUID!]) { allDevices(idIn: $ids) { serialNumber } }`, map[string]any{"ids": []string{f.pump.ID}})
	if want := `{"allDevices":[{"serialNumber":"SN-P1"}]}`; got != want {
		t.Errorf("idIn: got %s, want %s", got, want)
	}
}

func TestUnimplementedFieldIsAnError(t *testing.T) {
	f := newFixture(t)
	status, b := gql(t, f.URL(), ownerToken, `{ workspace(id: "ws-1") { memberCount } }`, nil)
	r := decode(t, b)
	if status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "NOT_IMPLEMENTED" {
		t.Fatalf("got %d %s, want a NOT_IMPLEMENTED error", status, b)
	}
}

const (
	createQuery = `mutation NewApiUser($input: ApiUserInput!) { addApiUser(input: $input) { ok apiUser { id name apiKey } } }`
	deleteQuery = `mutation DeleteApiUser($id: String!) { deleteApiUser(id: $id) { ok } }`
)

func createInput(name string, perms []string, devices ...string) map[string]any {
	if perms == nil {
		perms = []string{} // the schema's list is non-null
	}
	rels := []any{}
	for _, d := range devices {
		rels = append(rels, map[string]any{"device": d, "permissions": []any{"edit_basics"}})
	}
	return map[string]any{"input": map[string]any{"workspace": ws, "name": name, "wsPermissions": perms, "deviceRelationships": rels}}
}

func TestAPIUserLifecycle(t *testing.T) {
	f := newFixture(t)
	var created struct {
		AddAPIUser struct {
			OK      bool
			APIUser struct{ ID, Name, APIKey string } `json:"apiUser"`
		} `json:"addApiUser"`
	}
	_, b := gql(t, f.URL(), ownerToken, createQuery, createInput("cakegate-r1-alice", []string{"devices"}, f.pump.ID))
	if err := json.Unmarshal(decode(t, b).Data, &created); err != nil || !created.AddAPIUser.OK || created.AddAPIUser.APIUser.APIKey == "" {
		t.Fatalf("create: %s (%v)", b, err)
	}
	id, token := created.AddAPIUser.APIUser.ID, created.AddAPIUser.APIUser.APIKey

	users := f.APIUsers(ws)
	want := []datacaketest.APIUser{{
		ID: id, Workspace: ws, Name: "cakegate-r1-alice", Token: token,
		Permissions: []string{"devices"},
		Devices:     []datacaketest.DeviceGrant{{Device: f.pump.ID, Permissions: []string{"edit_basics"}}},
	}}
	ignore := cmpIgnore()
	if diff := cmp.Diff(want, users, ignore...); diff != "" {
		t.Fatalf("APIUsers (-want +got):\n%s", diff)
	}
	if got := users[0].DeviceIDs(); !cmp.Equal(got, []string{f.pump.ID}) {
		t.Errorf("DeviceIDs = %v", got)
	}

	// The new token works, as an API user that sees only its device.
	if got, want := mustOK(t, f.URL(), token, `{ user { isApiuser } allDevices { serialNumber } }`, nil),
		`{"user":{"isApiuser":true},"allDevices":[{"serialNumber":"SN-P1"}]}`; got != want {
		t.Errorf("as the API user: got %s, want %s", got, want)
	}
	// The listing never shows the key again.
	list := mustOK(t, f.URL(), ownerToken, `{ workspace(id: "ws-1") { apiUserRelationships { permissions user { name apiKey } deviceRelationships { permissions device { serialNumber } } } } }`, nil)
	if want := `{"workspace":{"apiUserRelationships":[{"permissions":["devices"],"user":{"name":"cakegate-r1-alice","apiKey":null},"deviceRelationships":[{"permissions":["edit_basics"],"device":{"serialNumber":"SN-P1"}}]}]}}`; list != want {
		t.Errorf("listing: got %s\nwant %s", list, want)
	}

	// Someone without members cannot delete it.
	if _, b := gql(t, f.URL(), observerToken, deleteQuery, map[string]any{"id": id}); !strings.Contains(string(b), "NOT_AUTHORIZED") {
		t.Errorf("observer delete: %s", b)
	}
	if got := mustOK(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": id}); got != `{"deleteApiUser":{"ok":true}}` {
		t.Errorf("delete: %s", got)
	}
	if got := mustOK(t, f.URL(), ownerToken, deleteQuery, map[string]any{"id": id}); got != `{"deleteApiUser":{"ok":false}}` {
		t.Errorf("second delete: %s", got)
	}
	if status, _ := gql(t, f.URL(), token, `{ user { id } }`, nil); status != http.StatusUnauthorized {
		t.Errorf("deleted API user's token: status %d, want 401", status)
	}
}

func TestCreateRejectsForeignDevice(t *testing.T) {
	f := newFixture(t)
	_, b := gql(t, f.URL(), ownerToken, createQuery, createInput("x", nil, f.lamp.ID))
	if r := decode(t, b); len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "NOT_FOUND" || string(r.Data) != "null" {
		t.Fatalf("got %s, want NOT_FOUND with null data", b)
	}
	if n := len(f.APIUsers(ws)); n != 0 {
		t.Errorf("%d API users, want 0", n)
	}
}

func TestDeleteAPIUserOutOfBand(t *testing.T) {
	f := newFixture(t)
	mustOK(t, f.URL(), ownerToken, createQuery, createInput("x", nil))
	u := f.APIUsers(ws)[0]
	if !f.DeleteAPIUserOutOfBand(u.ID) {
		t.Fatal("DeleteAPIUserOutOfBand = false")
	}
	if f.DeleteAPIUserOutOfBand(u.ID) {
		t.Error("second DeleteAPIUserOutOfBand = true")
	}
	if _, ok := f.APIUser(u.ID); ok {
		t.Error("API user still there")
	}
	if status, _ := gql(t, f.URL(), u.Token, `{ user { id } }`, nil); status != http.StatusUnauthorized {
		t.Errorf("token of deleted API user: %d, want 401", status)
	}
}

func TestInjectedFailures(t *testing.T) {
	f := newFixture(t)
	f.RateLimitNext(1, 1500*time.Millisecond)
	f.FailNext(2, http.StatusBadGateway)
	var got []string
	for range 4 {
		req, _ := http.NewRequest(http.MethodPost, f.URL(), strings.NewReader(`{"query":"{ user { id } }"}`))
		req.Header.Set("Authorization", "Token "+ownerToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, strconv.Itoa(resp.StatusCode)+" "+resp.Header.Get("Retry-After"))
	}
	if want := []string{"429 2", "502 ", "502 ", "200 "}; !cmp.Equal(got, want) {
		t.Errorf("statuses %q, want %q", got, want)
	}
}

func TestDropAfterCommit(t *testing.T) {
	f := newFixture(t)
	f.DropAfterCommitNext()
	mustOK(t, f.URL(), ownerToken, `{ user { id } }`, nil) // only a create is dropped
	body := strings.NewReader(`{"query":` + strconv.Quote(createQuery) + `,"variables":{"input":{"workspace":"ws-1","name":"lost","wsPermissions":[],"deviceRelationships":[]}}}`)
	req, _ := http.NewRequest(http.MethodPost, f.URL(), body)
	req.Header.Set("Authorization", "Token "+ownerToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d), want the connection dropped", resp.StatusCode)
	}
	if users := f.APIUsers(ws); len(users) != 1 || users[0].Name != "lost" {
		t.Errorf("API users %+v, want the one committed", users)
	}
	calls := f.Calls()
	if last := calls[len(calls)-1]; last.Operation != "NewApiUser" || last.Status != 0 {
		t.Errorf("last call %+v, want NewApiUser with status 0", last)
	}
	// The next create is answered again.
	mustOK(t, f.URL(), ownerToken, createQuery, createInput("fine", nil))
}

func TestCallsAreRecorded(t *testing.T) {
	f := newFixture(t)
	before := time.Now()
	mustOK(t, f.URL(), ownerToken, `query WorkspaceApiUsers($id: String!) { workspace(id: $id) { id } }`, map[string]any{"id": ws})
	gql(t, f.URL(), "bad", `{ user { id } }`, nil)
	calls := f.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	if c := calls[0]; c.Operation != "WorkspaceApiUsers" || c.Variables["id"] != ws || c.Status != 200 || c.Time.Before(before) {
		t.Errorf("first call %+v", c)
	}
	if c := calls[1]; c.Status != 401 {
		t.Errorf("second call %+v, want status 401", c)
	}
	if n := f.CallCount("WorkspaceApiUsers"); n != 1 {
		t.Errorf("CallCount = %d, want 1", n)
	}
}

func TestLatencyEndsWhenClientGivesUp(t *testing.T) {
	f := newFixture(t)
	f.SetLatency(time.Hour)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, f.URL(), strings.NewReader(`{"query":"{ user { id } }"}`))
	req.Header.Set("Authorization", "Token "+ownerToken)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("answered despite an hour of latency")
	}
	// Close must not wait out the hour; the test's own timeout would catch that.
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			status, b := gql(t, f.URL(), ownerToken, createQuery, createInput("u"+strconv.Itoa(i), nil, f.boiler.ID))
			if status != 200 {
				t.Errorf("create: %d %s", status, b)
			}
			gql(t, f.URL(), ownerToken, `{ workspace(id: "ws-1") { apiUserRelationships { id user { id } } } }`, nil)
			_ = f.APIUsers(ws)
			_ = f.Calls()
		})
	}
	wg.Wait()
	if n := len(f.APIUsers(ws)); n != 16 {
		t.Errorf("%d API users, want 16", n)
	}
	if f.MaxInFlight() < 1 {
		t.Error("MaxInFlight not counted")
	}
}
