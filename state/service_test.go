package state_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/state"
)

// These tests run the use cases of package commands over the real bbolt store, to check
// what only the real store can show: what ends up in the file, and that its transactions
// really are compare-and-sets under concurrency.

// svcRequester asks for tokens in these tests; the approvers are named by svcApprovers.
const svcRequester = "U0REQUESTER"

// svcApprovers returns n approver ids: U0APPROVER01, U0APPROVER02, …
func svcApprovers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("U0APPROVER%02d", i+1)
	}
	return out
}

// svcPolicy is a policy with one role, viewer, that one of approvers must approve.
func svcPolicy(approvers []string) *commands.Policy {
	return &commands.Policy{
		Workspace:        "ws-service-test",
		ApprovalsChannel: "C0APPROVALS",
		Approvers:        approvers,
		AllRequesters:    true,
		Location:         time.UTC,
		Reminders:        []time.Duration{24 * time.Hour, time.Hour},
		PendingTimeout:   48 * time.Hour,
		RoleOrder:        []string{"viewer"},
		Roles: map[string]*commands.Role{
			"viewer": {Name: "viewer", Devices: commands.DeviceScope{Any: true},
				MaxDuration: 7 * 24 * time.Hour, DefaultDuration: 8 * time.Hour, Approvals: 1},
		},
		Orphans: commands.OrphansDelete,
	}
}

// svcDevice is a workspace of one device.
var svcDevice = commandstest.Devices{{ID: "dev-cellar", Name: "Cellar", Serial: "SN-CELLAR"}}

// svcEnv is a Service over a real store in a temporary directory.
type svcEnv struct {
	svc      *commands.Service
	store    *state.Store
	path     string
	datacake *commandstest.Datacake
	notifier *commandstest.Notifier
	closed   bool
}

// newSvcEnv opens a store and builds a Service whose policy has the given approvers. The
// store is closed when the test ends unless the test closed it.
func newSvcEnv(tb testing.TB, approvers []string, opts ...state.Option) *svcEnv {
	tb.Helper()
	e := &svcEnv{
		path:     filepath.Join(tb.TempDir(), "cakegate.db"),
		datacake: commandstest.NewDatacake(),
		notifier: &commandstest.Notifier{},
	}
	var err error
	e.store, err = state.Open(e.path, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if !e.closed {
			e.store.Close()
		}
	})
	e.svc = &commands.Service{
		Policy:   svcPolicy(approvers),
		Store:    e.store,
		Datacake: e.datacake,
		Devices:  svcDevice,
		Clock:    commands.SystemClock{},
	}
	return e
}

// close closes the store so its file can be read as a whole.
func (e *svcEnv) close(tb testing.TB) {
	tb.Helper()
	if err := e.store.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	e.closed = true
}

// request stores a pending viewer request by svcRequester.
func (e *svcEnv) request(tb testing.TB) *commands.Request {
	tb.Helper()
	r, err := e.svc.Request(context.Background(), commands.RequestInput{
		Requester: svcRequester,
		Role:      "viewer",
		Devices:   []string{"SN-CELLAR"},
		Reason:    "check the cellar sensor",
	})
	if err != nil {
		tb.Fatalf("Request: %v", err)
	}
	if r.State != commands.StatePending {
		tb.Fatalf("got state %s, want pending", r.State)
	}
	return r
}

// TestServiceNeverStoresToken provisions a grant and then searches the whole database file
// for its token, in the clear and encoded.
func TestServiceNeverStoresToken(t *testing.T) {
	approvers := svcApprovers(1)
	e := newSvcEnv(t, approvers)
	r := e.request(t)
	if _, err := e.svc.Approve(context.Background(), r.ID, approvers[0]); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	r, err := e.svc.Reveal(context.Background(), r.ID, svcRequester, e.notifier.Show)
	if err != nil {
		t.Fatalf("Reveal: %v", err)
	}
	if r.State != commands.StateActive || r.Grant == nil {
		t.Fatalf("got state %s, grant %v; want active with a grant", r.State, r.Grant)
	}
	token := commandstest.TokenOf(r.Grant.APIUserID)
	if got := e.notifier.Tokens(r.ID); len(got) != 1 || got[0] != token {
		t.Fatalf("the requester got %d token(s), want exactly the known one", len(got))
	}
	e.close(t)

	db, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	// The search must be able to find things: what was stored is there in the clear.
	for _, stored := range []string{"check the cellar sensor", r.Grant.APIUserID, r.Grant.APIUserName} {
		if !bytes.Contains(db, []byte(stored)) {
			t.Fatalf("the file does not hold %q, so searching it for the token proves nothing", stored)
		}
	}
	for name, form := range svcTokenForms(token.Reveal()) {
		if i := bytes.Index(db, []byte(form)); i >= 0 {
			t.Errorf("the database file holds the token (%s, %q) at offset %d", name, form, i)
		}
	}
}

// svcTokenForms returns the token as it could appear in a file: as is, its distinctive
// middle, hex, and base64 at each of the three byte alignments a surrounding encoded
// string could give it (the groups touching the ends depend on the neighbours, so they
// are cut off).
func svcTokenForms(token string) map[string]string {
	forms := map[string]string{
		"plain":  token,
		"middle": token[4 : len(token)-6],
		"hex":    hex.EncodeToString([]byte(token)),
		"HEX":    strings.ToUpper(hex.EncodeToString([]byte(token))),
	}
	for _, enc := range []struct {
		name string
		enc  *base64.Encoding
	}{{"base64", base64.StdEncoding}, {"base64url", base64.URLEncoding}} {
		for shift := range 3 {
			s := enc.enc.EncodeToString(append(make([]byte, shift), token...))
			if shift > 0 {
				s = s[4:]
			}
			forms[fmt.Sprintf("%s+%d", enc.name, shift)] = s[:len(s)-4]
		}
	}
	return forms
}

// TestServiceConcurrentApprovals has 50 approvers click Approve on one request at the same
// moment: the store's compare-and-set lets exactly one through, so exactly one API user is
// made and one token sent; everyone else is told it is already approved.
func TestServiceConcurrentApprovals(t *testing.T) {
	const clicks = 50
	approvers := svcApprovers(clicks)
	e := newSvcEnv(t, approvers)
	r := e.request(t)

	start := make(chan struct{})
	errs := make([]error, clicks)
	var wg sync.WaitGroup
	for i, a := range approvers {
		wg.Go(func() {
			<-start
			_, errs[i] = e.svc.Approve(context.Background(), r.ID, a)
		})
	}
	close(start)
	wg.Wait()
	// The requester clicks Reveal as often as the approvers clicked Approve.
	for range clicks {
		wg.Go(func() { e.svc.Reveal(context.Background(), r.ID, svcRequester, e.notifier.Show) })
	}
	wg.Wait()

	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, commands.ErrWrongState), errors.Is(err, commands.ErrAlreadyApproved):
		default:
			t.Errorf("approver %s: got %v (code %s), want success or %s", approvers[i], err, commands.ErrorCode(err), commands.CodeWrongState)
		}
	}
	if ok != 1 {
		t.Errorf("got %d successful approvals, want exactly 1", ok)
	}
	if got := e.datacake.Created.Load(); got != 1 {
		t.Errorf("got %d API users created, want exactly 1", got)
	}
	if got := len(e.notifier.Tokens(r.ID)); got != 1 {
		t.Errorf("the token was delivered %d times, want once", got)
	}
	final, err := e.store.Get(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != commands.StateActive || len(final.Approvals) != 1 {
		t.Errorf("got state %s with %d approvals, want active with 1", final.State, len(final.Approvals))
	}
	if got := svcAuditActions(t, e.store, r.ID); got != "requested,approved,reveal,revealed" {
		t.Errorf("got audit %s, want requested,approved,reveal,revealed", got)
	}
}

// TestServiceAuditTrail checks the audit log of a request that was asked for, approved and
// provisioned: three events in order, each a transition by the right actor, in an intact
// hash chain.
func TestServiceAuditTrail(t *testing.T) {
	approvers := svcApprovers(2)
	e := newSvcEnv(t, approvers)
	r := e.request(t)
	if _, err := e.svc.Approve(context.Background(), r.ID, approvers[1]); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	ctx := context.Background()
	r, err := e.svc.Reveal(ctx, r.ID, svcRequester, e.notifier.Show)
	if err != nil {
		t.Fatalf("Reveal: %v", err)
	}
	recs, err := e.store.AuditForRequest(ctx, r.ID)
	if err != nil {
		t.Fatalf("AuditForRequest: %v", err)
	}
	want := []struct {
		action   string
		actor    string
		from, to commands.State
	}{
		{"requested", svcRequester, "", commands.StatePending},
		{"approved", approvers[1], commands.StatePending, commands.StateApproved},
		{"reveal", svcRequester, commands.StateApproved, commands.StateProvisioning},
		{"revealed", svcRequester, commands.StateProvisioning, commands.StateActive},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d audit events (%s), want %d", len(recs), svcAuditActions(t, e.store, r.ID), len(want))
	}
	for i, w := range want {
		got := recs[i]
		if got.Action != w.action || got.Actor != w.actor || got.From != w.from || got.To != w.to || got.Request != r.ID {
			t.Errorf("event %d: got %s by %s %q→%q on %s, want %s by %s %q→%q on %s",
				i+1, got.Action, got.Actor, got.From, got.To, got.Request, w.action, w.actor, w.from, w.to, r.ID)
		}
		if i > 0 {
			prev := recs[i-1]
			if got.Seq <= prev.Seq || got.At.Before(prev.At) {
				t.Errorf("event %d (seq %d at %v) is not after event %d (seq %d at %v)", i+1, got.Seq, got.At, i, prev.Seq, prev.At)
			}
		}
		if strings.Contains(got.Detail, commandstest.TokenOf(r.Grant.APIUserID).Reveal()) {
			t.Errorf("event %d holds the token", i+1)
		}
	}
	if broken, err := e.store.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit: got first broken %d, %v; want 0, nil", broken, err)
	}
}

// svcAuditActions lists the actions of request id's audit events: "requested,approved,…".
func svcAuditActions(tb testing.TB, s *state.Store, id commands.RequestID) string {
	tb.Helper()
	recs, err := s.AuditForRequest(context.Background(), id)
	if err != nil {
		tb.Fatalf("AuditForRequest: %v", err)
	}
	actions := make([]string, len(recs))
	for i, rec := range recs {
		actions[i] = rec.Action
	}
	return strings.Join(actions, ",")
}
