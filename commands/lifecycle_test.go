package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
)

func TestRevokeAuthorization(t *testing.T) {
	tests := []struct {
		name    string
		user    string
		wantErr *commands.Error
	}{
		{"OKRequester", carol, nil},
		{"OKApprover", bob, nil},
		{"ErrOtherUser", dave, commands.ErrNotAllowed},
		{"ErrStranger", eve, commands.ErrNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.active(t)
			got, err := e.svc.Revoke(context.Background(), r.ID, tt.user, "done")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "or an approver of role viewer can revoke it") {
					t.Fatalf("got %v, want %s", err, tt.wantErr.Code)
				}
				if e.datacake.Count() != 1 {
					t.Fatal("a refused revoke deleted the API user")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != commands.StateRevoked || e.datacake.Count() != 0 {
				t.Fatalf("got %s with %d API users, want revoked and none", got.State, e.datacake.Count())
			}
			if got := strings.Join(e.store.AuditActions(r.ID), ","); !strings.HasSuffix(got, "revoke,revoked") {
				t.Fatalf("got audit %s", got)
			}
		})
	}
}

func TestRevokeWhenDatacakeFails(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.datacake.DeleteErr = errors.New("datacake: temporary failure (HTTP 502)")
	_, err := e.svc.Revoke(ctx, r.ID, carol, "")
	if !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("got %v, want unavailable", err)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateRevoking || got.Grant.RevokeAttempts != 1 {
		t.Fatalf("got %s after %d attempts, want revoking after 1: never revoked before Datacake confirms", got.State, got.Grant.RevokeAttempts)
	}
	// The expiry sweep retries once the backoff is over.
	e.datacake.DeleteErr = nil
	if res, _ := e.svc.ExpireDue(ctx); res.Done != 0 {
		t.Fatalf("retried before the backoff was over")
	}
	e.clock.Advance(commands.RevokeRetryBase)
	if res, err := e.svc.ExpireDue(ctx); err != nil || res.Done != 1 {
		t.Fatalf("got %+v %v, want one revocation finished", res, err)
	}
	got, _ = e.store.Get(ctx, r.ID)
	if got.State != commands.StateRevoked {
		t.Fatalf("got %s, want revoked", got.State)
	}
}

func TestRevokeAPIUserAlreadyGone(t *testing.T) {
	e := newEnv(t)
	r := e.active(t)
	_ = e.datacake.DeleteAPIUser(context.Background(), r.Grant.APIUserID)
	got, err := e.svc.Revoke(context.Background(), r.ID, ann, "")
	if err != nil || got.State != commands.StateRevoked {
		t.Fatalf("got %v %v, want revoked: a missing API user counts as deleted", got, err)
	}
}

func TestExpireDue(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.clock.Advance(8*time.Hour - time.Second)
	if res, _ := e.svc.ExpireDue(ctx); res.Done != 0 {
		t.Fatal("expired before its time")
	}
	e.clock.Advance(time.Second)
	if res, err := e.svc.ExpireDue(ctx); err != nil || res.Done != 1 {
		t.Fatalf("got %+v %v, want one expired", res, err)
	}
	got, _ := e.store.Get(ctx, r.ID)
	if got.State != commands.StateExpired || e.datacake.Count() != 0 {
		t.Fatalf("got %s, want expired with its API user gone", got.State)
	}
	n := e.store.Notifications(r.ID)
	if last := n[len(n)-1]; last.Kind != commands.NotifyRequester || !strings.Contains(last.Text, "has expired") {
		t.Fatalf("the requester was not told: %+v", last)
	}
}

func TestExtend(t *testing.T) {
	ctx := context.Background()
	t.Run("NeedsApproval", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		got, err := e.svc.Extend(ctx, r.ID, carol, 24*time.Hour)
		if err != nil || got.Extension == nil || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
			t.Fatalf("got %+v %v, want an extension waiting and the expiry unchanged", got, err)
		}
		if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); !errors.Is(err, commands.ErrWrongState) {
			t.Fatalf("a second extension: got %v, want refused", err)
		}
		if _, err := e.svc.Approve(ctx, r.ID, carol); !errors.Is(err, commands.ErrSelfApproval) {
			t.Fatalf("self-approval of extension: got %v", err)
		}
		got, err = e.svc.Approve(ctx, r.ID, ann)
		if err != nil {
			t.Fatal(err)
		}
		if want := r.Grant.ExpiresAt.Add(24 * time.Hour); !got.Grant.ExpiresAt.Equal(want) || got.Extension != nil {
			t.Fatalf("got expiry %v, want %v", got.Grant.ExpiresAt, want)
		}
		if got.Grant.APIUserID != r.Grant.APIUserID || e.datacake.Created.Load() != 1 {
			t.Fatal("extending made a new API user; the token must stay the same")
		}
	})
	t.Run("Denied", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		_, _ = e.svc.Extend(ctx, r.ID, carol, time.Hour)
		got, err := e.svc.Deny(ctx, r.ID, bob, "not now")
		if err != nil || got.State != commands.StateActive || got.Extension != nil || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt) {
			t.Fatalf("got %+v %v, want still active, no extension, same expiry", got, err)
		}
	})
	t.Run("ErrBeyondMaxLifetime", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t) // viewer: 8h of a 7d max
		_, err := e.svc.Extend(ctx, r.ID, carol, 7*24*time.Hour)
		if !errors.Is(err, commands.ErrTooLong) || !strings.Contains(err.Error(), "by at most 6d16h") {
			t.Fatalf("got %v, want too long naming the room left", err)
		}
	})
	t.Run("WithoutApproval", func(t *testing.T) {
		e := newEnv(t)
		e.svc.Policy.Roles["viewer"].ExtendWithoutApproval = true
		r := e.active(t)
		got, err := e.svc.Extend(ctx, r.ID, carol, 2*time.Hour)
		if err != nil || !got.Grant.ExpiresAt.Equal(r.Grant.ExpiresAt.Add(2*time.Hour)) {
			t.Fatalf("got %v %v, want the expiry moved at once", got, err)
		}
	})
	t.Run("ErrNotHolder", func(t *testing.T) {
		e := newEnv(t)
		r := e.active(t)
		if _, err := e.svc.Extend(ctx, r.ID, dave, time.Hour); !errors.Is(err, commands.ErrNotAllowed) {
			t.Fatalf("got %v, want not allowed", err)
		}
	})
}

func TestDenyAndCancel(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	if _, err := e.svc.Deny(ctx, r.ID, dave, ""); !errors.Is(err, commands.ErrNotApprover) {
		t.Fatalf("deny by non-approver: got %v", err)
	}
	if _, err := e.svc.Cancel(ctx, r.ID, ann); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("cancel by someone else: got %v", err)
	}
	got, err := e.svc.Deny(ctx, r.ID, ann, "use the viewer dashboard")
	if err != nil || got.State != commands.StateDenied || got.DecisionNote != "use the viewer dashboard" {
		t.Fatalf("got %+v %v", got, err)
	}
	n := e.store.Notifications(r.ID)
	if last := n[len(n)-1]; !strings.Contains(last.Text, "Reason: use the viewer dashboard") {
		t.Fatalf("the requester was not told the reason: %+v", last)
	}
}

func TestQueries(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	mine := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
	editor := e.request(t, commands.RequestInput{Requester: ann, Role: "device-editor", Devices: []string{"SN1"}})

	list, _ := e.svc.List(ctx, carol)
	if len(list) != 1 || list[0].ID != mine.ID {
		t.Fatalf("List: got %v", list)
	}
	if _, err := e.svc.Status(ctx, mine.ID, eve); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("Status by a stranger: got %v", err)
	}
	if _, err := e.svc.Status(ctx, mine.ID, bob); err != nil {
		t.Fatalf("Status by an approver: %v", err)
	}
	if _, err := e.svc.Status(ctx, 99, carol); !errors.Is(err, commands.ErrNotFound) || !strings.Contains(err.Error(), "no request R99") {
		t.Fatalf("Status of a missing request: got %v", err)
	}
	// ann approves both roles but not her own request; dave approves device-editor via SOPS.
	if got := ids(e.svc.Pending(ctx, ann)); got != "R1" {
		t.Errorf("Pending(ann) = %s, want R1", got)
	}
	if got := ids(e.svc.Pending(ctx, dave)); got != "R2" {
		t.Errorf("Pending(dave) = %s, want R2", got)
	}
	if got := ids(e.svc.Pending(ctx, carol)); got != "" {
		t.Errorf("Pending(carol) = %s, want none", got)
	}
	_ = editor
	roles, _ := e.svc.Roles(ctx, carol)
	var names []string
	for _, r := range roles {
		names = append(names, r.Role.Name)
	}
	if got := strings.Join(names, ","); got != "viewer,device-editor,field,auto" {
		t.Errorf("Roles(carol) = %s", got)
	}
}

func ids(rs []*commands.Request, err error) string {
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.ID.String())
	}
	return strings.Join(out, ",")
}

func TestListKeepsOldActiveGrants(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	old := e.active(t)
	for range commands.ListLimit + 5 {
		r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
		if _, err := e.svc.Cancel(ctx, r.ID, carol); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.svc.List(ctx, carol)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != commands.ListLimit+1 || list[len(list)-1].ID != old.ID {
		t.Fatalf("got %d requests ending with %s, want the %d newest ended ones and the old active %s", len(list), list[len(list)-1].ID, commands.ListLimit, old.ID)
	}
}

// stubbornDatacake refuses deletes with "not found" although the API user exists, as an
// ok:false from Datacake looks.
type stubbornDatacake struct{ *commandstest.Datacake }

func (s stubbornDatacake) DeleteAPIUser(context.Context, string) error {
	return commands.Errorf(commands.CodeNotFound, "Datacake deleted no API user")
}

func TestRevokeNotFoundIsCheckedAgainstTheList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t)
	e.svc.Datacake = stubbornDatacake{e.datacake}
	if _, err := e.svc.Revoke(ctx, r.ID, carol, ""); !errors.Is(err, commands.ErrUnavailable) {
		t.Fatalf("got %v, want the revoke left unconfirmed", err)
	}
	if got, _ := e.store.Get(ctx, r.ID); got.State != commands.StateRevoking {
		t.Fatalf("got %s: a grant whose API user still exists was marked ended", got.State)
	}
}

func TestExtensionRoom(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	r := e.active(t) // viewer: 8h of a 7d maximum
	_, role, room, err := e.svc.ExtensionRoom(ctx, r.ID, carol)
	if err != nil || role.Name != "viewer" || room != 6*24*time.Hour+16*time.Hour {
		t.Fatalf("got %v %v %v, want 6d16h of viewer", role, room, err)
	}
	if _, _, _, err := e.svc.ExtensionRoom(ctx, r.ID, ann); !errors.Is(err, commands.ErrNotAllowed) {
		t.Fatalf("an approver asking: %v", err)
	}
	if _, err := e.svc.Extend(ctx, r.ID, carol, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.svc.ExtensionRoom(ctx, r.ID, carol); !errors.Is(err, commands.ErrWrongState) {
		t.Fatalf("with an extension waiting: %v", err)
	}
}
