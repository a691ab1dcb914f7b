package datacake_test

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// largeWorkspace is a fake Datacake whose workspace holds n devices, every tenth tagged
// "field".
func largeWorkspace(tb testing.TB, n int) *datacaketest.Server {
	tb.Helper()
	s := datacaketest.NewServer(tb)
	s.AddWorkspace(ws, "Large", "large")
	for i := range n {
		d := datacaketest.Device{Name: fmt.Sprintf("Sensor %06d", i), Serial: fmt.Sprintf("SN-%06d", i)}
		if i%10 == 0 {
			d.Tags = []string{"field"}
		}
		s.AddDevice(ws, d)
	}
	s.AddToken(ownerToken, map[string][]string{ws: {"members", "devices"}})
	return s
}

// BenchmarkDeviceSearch is the request form's type-ahead against a workspace of 10,000 and
// 100,000 devices: one page of devicesFiltered per keystroke, a serial looked up on
// submission. Its answer must come within Slack's 3 s; "retained-B" is the heap still in
// use after the searches (what cakegate keeps), which must not grow with the device count.
// B/op counts the in-process fake's own filtering too.
func BenchmarkDeviceSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			s := largeWorkspace(b, n)
			c, _ := newClient(b, s.URL(), ownerToken, nil)
			ctx := b.Context()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				q := fmt.Sprintf("sensor 00%02d", i%100) // a different keystroke each time: no cache
				page, err := c.SearchDevices(ctx, ws, datacake.DeviceQuery{Search: q, Tags: []string{"field"}, PageSize: 100})
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Devices) == 0 {
					b.Fatalf("no match for %q", q)
				}
				if _, ok, err := c.DeviceBySerial(ctx, ws, fmt.Sprintf("SN-%06d", (i*7919)%n)); err != nil || !ok {
					b.Fatalf("serial lookup: %v %v", ok, err)
				}
				i++
			}
			b.StopTimer()
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)), "retained-B")
		})
	}
}

// TestWholeListOfLargeWorkspaceTooLarge is why cakegate never asks for every device: the
// whole list of a workspace of 100,000 devices passes the client's response limit.
func TestWholeListOfLargeWorkspaceTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 devices")
	}
	s := largeWorkspace(t, 100_000)
	// What is tested is the size limit, not the clock: the fake takes seconds to write
	// 100,000 devices under -race on a busy machine, past the helpers' 5 s attempt timeout.
	c, _ := newClient(t, s.URL(), ownerToken, func(o *datacake.Options) { o.Timeout = 5 * time.Minute })
	_, err := c.Devices(t.Context(), ws, datacake.DeviceFilter{})
	var perm *datacake.PermanentError
	if err == nil || !errors.As(err, &perm) {
		t.Fatalf("listing 100,000 devices: %v, want the response refused as too large", err)
	}
	page, err := c.SearchDevices(t.Context(), ws, datacake.DeviceQuery{Search: "sensor 09999", PageSize: 100})
	if err != nil || page.Total != 10 {
		t.Fatalf("searching them: %+v, %v", page.Total, err)
	}
}
