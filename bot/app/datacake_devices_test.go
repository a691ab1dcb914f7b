package app

import (
	"net/http"
	"slices"
	"testing"

	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// TestAdapterFindsDevicesByIDAndSerial: the adapter finds named devices with Datacake's
// filters: ids in one call, serial numbers exactly or in any case, and leaves out refs
// that name nothing.
func TestAdapterFindsDevicesByIDAndSerial(t *testing.T) {
	const ws, key = "5f0c2a9e-7d1b-4c3e-9a8f-2b6d4e1c0a7f", "dc-owner-token-adapter"
	dc := datacaketest.NewServer(t)
	dc.AddWorkspace(ws, "Acme", "acme")
	boiler := dc.AddDevice(ws, datacaketest.Device{Name: "Boiler", Serial: "SN-1001"})
	pump := dc.AddDevice(ws, datacaketest.Device{Name: "Pump", Serial: "SN-1002"})
	door := dc.AddDevice(ws, datacaketest.Device{Name: "Door", Serial: "SN-1003", Tags: []string{"lab"}})
	dc.AddToken(key, map[string][]string{ws: {"members"}})
	client, err := datacake.New(datacake.Options{URL: dc.URL(), Token: key})
	if err != nil {
		t.Fatal(err)
	}
	a := datacakeAdapter{client: client}
	got, err := a.FindDevices(t.Context(), ws, []string{boiler.ID, "SN-1002", "sn-1003", "SN-9999", "6a1c0000-0000-4000-8000-000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	want := []string{boiler.ID, pump.ID, door.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("found %v, want %v", ids, want)
	}
	if dc.CallCount("Devices") != 1 {
		t.Errorf("%d allDevices calls, want the ids in one", dc.CallCount("Devices"))
	}
	tags, err := a.DeviceTags(t.Context(), ws)
	if err != nil || !slices.Equal(tags, []string{"lab"}) {
		t.Fatalf("tags %v, %v", tags, err)
	}
}

// With OneGoroutine the serial numbers are looked up in turn, in the order given: the
// simulation's seed, not the scheduler, decides which call meets which fault.
func TestAdapterLooksUpSerialsOneByOne(t *testing.T) {
	const ws, key = "5f0c2a9e-7d1b-4c3e-9a8f-2b6d4e1c0a7f", "dc-owner-token-adapter"
	dc := datacaketest.NewServer(t)
	dc.AddWorkspace(ws, "Acme", "acme")
	var want []string
	var refs []string
	for _, serial := range []string{"SN-1001", "SN-1002", "SN-1003", "SN-1004", "SN-1005", "SN-1006"} {
		want = append(want, dc.AddDevice(ws, datacaketest.Device{Name: serial, Serial: serial}).ID)
		refs = append(refs, serial)
	}
	dc.AddToken(key, map[string][]string{ws: {"members"}})
	var order []string
	client, err := datacake.New(datacake.Options{URL: dc.URL(), Token: key, HTTPClient: &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		order = append(order, req.URL.Path) // no lock: a second goroutine here is a race -race reports
		return http.DefaultTransport.RoundTrip(req)
	})}})
	if err != nil {
		t.Fatal(err)
	}
	a := datacakeAdapter{client: client, oneByOne: true}
	got, err := a.FindDevices(t.Context(), ws, refs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("found %v, want %v in the order asked", ids, want)
	}
	if len(order) != len(refs) {
		t.Fatalf("%d calls, want one per serial number", len(order))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
