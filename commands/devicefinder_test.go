package commands_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// finderOnly is a DeviceFinder over testDevices that refuses to list the whole workspace,
// as a workspace of 100,000 devices must never be, and records what it was asked.
type finderOnly struct {
	mu       sync.Mutex
	searches []commands.DeviceSearch
	finds    [][]string
	tags     int
}

func (f *finderOnly) Devices(context.Context, string) ([]commands.Device, error) {
	return nil, errors.New("the whole device list was asked for")
}

func (f *finderOnly) FindDevices(ctx context.Context, ws string, refs []string) ([]commands.Device, error) {
	f.mu.Lock()
	f.finds = append(f.finds, slices.Clone(refs))
	f.mu.Unlock()
	return commands.ListFinder{Directory: testDevices}.FindDevices(ctx, ws, refs)
}

func (f *finderOnly) SearchDevices(ctx context.Context, ws string, q commands.DeviceSearch) ([]commands.Device, error) {
	f.mu.Lock()
	f.searches = append(f.searches, q)
	f.mu.Unlock()
	return commands.ListFinder{Directory: testDevices}.SearchDevices(ctx, ws, q)
}

func (f *finderOnly) DeviceTags(ctx context.Context, ws string) ([]string, error) {
	f.mu.Lock()
	f.tags++
	f.mu.Unlock()
	return commands.ListFinder{Directory: testDevices}.DeviceTags(ctx, ws)
}

// TestLargeWorkspaceIsNeverListed: requests name devices by serial, id and tag, and the
// form searches, through a directory that can filter: the workspace's whole device list
// is never asked for, and the role's tags go to Datacake with the search.
func TestLargeWorkspaceIsNeverListed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	dir := &finderOnly{}
	e.svc.Devices = dir

	r, err := e.svc.Request(ctx, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"sn1", "dev-2", "tag:lab"}, Reason: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range r.Devices {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, []string{"dev-1", "dev-2", "dev-3"}) {
		t.Fatalf("resolved %v", ids)
	}
	if len(dir.finds) != 1 || !slices.Equal(dir.finds[0], []string{"sn1", "dev-2"}) {
		t.Fatalf("looked up %v, want the named devices at once", dir.finds)
	}
	if _, err := e.svc.Request(ctx, commands.RequestInput{Requester: carol, Role: "field", Devices: []string{"SN2"}, Reason: "x"}); !errors.Is(err, commands.ErrDeviceOutOfScope) {
		t.Fatalf("a device outside the role's scope: %v", err)
	}

	choices, err := e.svc.SearchDevices(ctx, carol, "field", "o")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, c := range choices {
		refs = append(refs, c.Ref)
	}
	if !slices.Equal(refs, []string{"dev-1", "dev-3"}) {
		t.Fatalf("search o in field: %v", refs)
	}
	last := dir.searches[len(dir.searches)-1]
	if last.Search != "o" || !slices.Equal(last.Tags, []string{"field-test"}) || last.Limit != commands.MaxDeviceChoices {
		t.Fatalf("asked Datacake for %+v, want the query, the role's tags and one page", last)
	}
}

// TestCachedSearches: the same search twice within the TTL asks the directory once; a
// different one asks again; the cache holds at most MaxEntries answers.
func TestCachedSearches(t *testing.T) {
	ctx := context.Background()
	clock := commandstest.NewClock(start)
	dir := &finderOnly{}
	c := &commands.CachedDevices{Directory: dir, Clock: clock, MaxEntries: 2}
	for _, q := range []string{"boil", "boil", "door", "boil"} {
		if _, err := c.SearchDevices(ctx, "ws-1", commands.DeviceSearch{Search: q, Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(dir.searches); n != 2 {
		t.Fatalf("%d searches reached the directory, want 2", n)
	}
	for i := range 5 {
		c.SearchDevices(ctx, "ws-1", commands.DeviceSearch{Search: strings.Repeat("x", i+1), Limit: 10})
		clock.Advance(time.Millisecond)
	}
	if n := len(dir.searches); n != 7 {
		t.Fatalf("%d searches, want 7", n)
	}
	// "boil" was pushed out by newer searches: asked again.
	c.SearchDevices(ctx, "ws-1", commands.DeviceSearch{Search: "boil", Limit: 10})
	if n := len(dir.searches); n != 8 {
		t.Fatalf("%d searches, want the evicted one asked again", n)
	}
}

type panickyFinder struct{ finderOnly }

func (*panickyFinder) SearchDevices(context.Context, string, commands.DeviceSearch) ([]commands.Device, error) {
	panic("boom")
}

// TestCachedDevicesSurvivesAPanic: a directory that panics fails the fetch; the process
// and the callers waiting on it go on.
func TestCachedDevicesSurvivesAPanic(t *testing.T) {
	c := &commands.CachedDevices{Directory: &panickyFinder{}, Clock: commandstest.NewClock(start)}
	if _, err := c.SearchDevices(context.Background(), "ws-1", commands.DeviceSearch{Search: "x"}); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
}
