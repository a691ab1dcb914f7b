package commands_test

import (
	"context"
	"testing"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

// The people, devices and start time of commandstest's policy, by their short names.
const (
	ann   = commandstest.Ann
	bob   = commandstest.Bob
	carol = commandstest.Carol
	dave  = commandstest.Dave
	eve   = commandstest.Eve
)

// testInstallation is the installation id of the test database.
const testInstallation = commandstest.Installation

var (
	start       = commandstest.Start
	testDevices = commandstest.PolicyDevices()
)

// env is a Service over fakes.
type env struct {
	svc      *commands.Service
	store    *commandstest.Store
	datacake *commandstest.Datacake
	notifier *commandstest.Notifier
	clock    *commandstest.Clock
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{
		store:    commandstest.NewStore(),
		datacake: commandstest.NewDatacake(),
		notifier: &commandstest.Notifier{},
		clock:    commandstest.NewClock(start),
	}
	e.svc = &commands.Service{
		Policy:   commandstest.Policy(),
		Store:    e.store,
		Datacake: e.datacake,
		Devices:  testDevices,
		Groups:   commandstest.PolicyGroups(),
		Clock:    e.clock,

		Installation: testInstallation,
		InstalledAt:  start,
	}
	return e
}

// request makes a request that must succeed.
func (e *env) request(t testing.TB, in commands.RequestInput) *commands.Request {
	t.Helper()
	if in.Reason == "" {
		in.Reason = "testing"
	}
	r, err := e.svc.Request(context.Background(), in)
	if err != nil {
		t.Fatalf("Request(%+v): %v", in, err)
	}
	return r
}

// active makes a viewer request by carol and has ann approve it.
func (e *env) active(t testing.TB) *commands.Request {
	t.Helper()
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	r, err := e.svc.Approve(context.Background(), r.ID, ann)
	if err != nil || r.State != commands.StateApproved {
		t.Fatalf("Approve: %v, state %v", err, r)
	}
	return e.reveal(t, r.ID)
}

// reveal has the requester of an approved request reveal its token, which must succeed.
func (e *env) reveal(t testing.TB, id commands.RequestID) *commands.Request {
	t.Helper()
	r, err := e.store.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	r, err = e.svc.Reveal(context.Background(), id, r.Requester, e.notifier.Show)
	if err != nil || r.State != commands.StateActive {
		t.Fatalf("Reveal %s: %v, state %v", id, err, r)
	}
	return r
}
