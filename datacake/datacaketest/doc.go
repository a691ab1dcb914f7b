// Package datacaketest is an in-process fake of Datacake's GraphQL API for tests and for
// `cakegate demo`. It keeps state (workspaces, devices, API users and their tokens), checks
// the Authorization header and the caller's permissions, validates every document against
// Datacake's schema (HTTP 400 for an invalid one, as Datacake does) and executes the
// fields cakegate uses. Tests can inject latency, 5xx, 429 with Retry-After, a create
// that is committed but whose answer is lost, and a hold on every answer until released.
//
// From a test in another package:
//
//	srv := datacaketest.NewServer(t) // listening on 127.0.0.1, closed by t.Cleanup
//	srv.AddWorkspace("ws-1", "Acme", "acme")
//	dev := srv.AddDevice("ws-1", datacaketest.Device{Name: "Boiler", Serial: "SN-1", Tags: []string{"heating"}})
//	srv.AddToken("owner-token", map[string][]string{"ws-1": {"members"}})
//	client, _ := datacake.New(datacake.Options{URL: srv.URL(), Token: "owner-token"})
//
// Without a testing.TB (the demo): srv := datacaketest.New(); err := srv.Start(); defer srv.Close().
//
// Where Datacake's behaviour is not known the fake makes a documented choice: an unknown
// id in deleteApiUser answers ok: false; reading a workspace needs membership (any
// permission list, even empty) and touching its API users needs "members"; an API user's
// token sees only the devices it was granted; pages of devices/devicesFiltered start at 1.
package datacaketest
