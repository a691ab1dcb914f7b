package datacaketest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/cakegate/cakegate/datacake/datacaketest"
)

const (
	ownerToken    = "owner-token"    // members in ws-1
	observerToken = "observer-token" // member of ws-1 without members
	ws            = "ws-1"
	otherWS       = "ws-2"
)

// fixture is a started fake with two workspaces, three devices and two people's tokens.
type fixture struct {
	*datacaketest.Server
	boiler, pump, lamp datacaketest.Device
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := datacaketest.NewServer(t)
	s.AddWorkspace(ws, "Acme", "acme")
	s.AddWorkspace(otherWS, "Other", "other")
	f := &fixture{Server: s}
	f.boiler = s.AddDevice(ws, datacaketest.Device{Name: "Boiler", Serial: "SN-B1", Tags: []string{"heating", "basement"}, Online: true})
	f.pump = s.AddDevice(ws, datacaketest.Device{Name: "Pump", Serial: "SN-P1", Tags: []string{"basement"}})
	f.lamp = s.AddDevice(otherWS, datacaketest.Device{Name: "Lamp", Serial: "SN-L1"})
	s.AddToken(ownerToken, map[string][]string{ws: {"members", "devices"}})
	s.AddToken(observerToken, map[string][]string{ws: {}})
	return f
}

// gql posts a GraphQL request and returns the status and body.
func gql(t *testing.T, url, token, query string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// response is a decoded GraphQL answer.
type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Path       []any  `json:"path"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

func decode(t *testing.T, b []byte) response {
	t.Helper()
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return r
}

// mustOK posts and fails the test unless the answer is 200 without errors; it returns data.
func mustOK(t *testing.T, url, token, query string, vars map[string]any) string {
	t.Helper()
	status, b := gql(t, url, token, query, vars)
	r := decode(t, b)
	if status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("status %d, body %s", status, b)
	}
	return string(r.Data)
}
