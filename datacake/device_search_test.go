package datacake_test

import (
	"slices"
	"testing"

	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

func TestSearchDevicesPages(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	ctx := t.Context()
	all, err := c.SearchDevices(ctx, ws, datacake.DeviceQuery{PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 2 || len(all.Devices) != 1 || all.Devices[0].ID != f.boiler.ID {
		t.Fatalf("first page of 1: %+v, want Boiler of 2", all)
	}
	second, err := c.SearchDevices(ctx, ws, datacake.DeviceQuery{Page: 2, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Devices) != 1 || second.Devices[0].ID != f.pump.ID {
		t.Fatalf("second page: %+v, want Pump", second)
	}
	heating, err := c.SearchDevices(ctx, ws, datacake.DeviceQuery{Tags: []string{"heating", "nothing"}})
	if err != nil {
		t.Fatal(err)
	}
	if heating.Total != 1 || heating.Devices[0].Name != "Boiler" || !slices.Equal(heating.Devices[0].Tags, []string{"heating", "basement"}) {
		t.Fatalf("tagged heating or nothing: %+v", heating)
	}
	named, err := c.SearchDevices(ctx, ws, datacake.DeviceQuery{Search: "pum"})
	if err != nil {
		t.Fatal(err)
	}
	if named.Total != 1 || named.Devices[0].Serial != "SN-P1" {
		t.Fatalf("search pum: %+v", named)
	}
}

func TestDeviceBySerialAndTags(t *testing.T) {
	f := newFixture(t)
	c, _ := newClient(t, f.URL(), ownerToken, nil)
	ctx := t.Context()
	d, ok, err := c.DeviceBySerial(ctx, ws, "SN-P1")
	if err != nil || !ok || d.ID != f.pump.ID {
		t.Fatalf("SN-P1: %+v %v %v", d, ok, err)
	}
	if _, ok, err := c.DeviceBySerial(ctx, ws, "SN-L1"); err != nil || ok {
		t.Fatalf("another workspace's serial: found %v, %v", ok, err)
	}
	// Answered as Django answers a get() that finds nothing: still "no such device".
	f.AnswerMissingDeletes(datacaketest.MissingDoesNotExist)
	if _, ok, err := c.DeviceBySerial(ctx, ws, "SN-NOPE"); err != nil || ok {
		t.Fatalf("an unknown serial answered DoesNotExist: found %v, %v; want not found", ok, err)
	}
	f.AnswerMissingDeletes(datacaketest.MissingOKFalse)
	tags, err := c.DeviceTags(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"basement", "heating"}) {
		t.Fatalf("tags %v", tags)
	}
}
