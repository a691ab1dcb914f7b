package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// TestFreeTextCheckedOnEveryPath: a reason with an invisible direction override or a
// zero-width character is refused whichever use case takes it (the form and the slash
// command both reach Request; the deny form, a deny command and an extension's deny reach
// Deny; a revoke reaches Revoke), and nothing changes.
func TestFreeTextCheckedOnEveryPath(t *testing.T) {
	hidden := map[string]string{
		"RightToLeftOverride": "approve \u202Eevil\u202C please",
		"RightToLeftMark":     "fine\u200F",
		"ZeroWidthSpace":      "a\u200Bb",
		"WordJoiner":          "a\u2060b",
		"ByteOrderMark":       "\uFEFFreason",
		"LoneZeroWidthJoiner": "a\u200Db",
	}
	paths := map[string]func(e *env, reason string) (*commands.Request, error){
		"Request": func(e *env, reason string) (*commands.Request, error) {
			return e.svc.Request(context.Background(), commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}, Reason: reason})
		},
		"Deny": func(e *env, reason string) (*commands.Request, error) {
			r := e.request(t, commands.RequestInput{Requester: carol, Role: "viewer", Devices: []string{"SN1"}})
			return e.svc.Deny(context.Background(), r.ID, ann, reason)
		},
		"DenyExtension": func(e *env, reason string) (*commands.Request, error) {
			r := e.active(t)
			if _, err := e.svc.Extend(context.Background(), r.ID, r.Requester, time.Hour); err != nil {
				t.Fatal(err)
			}
			return e.svc.Deny(context.Background(), r.ID, bob, reason)
		},
		"Revoke": func(e *env, reason string) (*commands.Request, error) {
			r := e.active(t)
			return e.svc.Revoke(context.Background(), r.ID, r.Requester, reason)
		},
	}
	for pname, path := range paths {
		for hname, reason := range hidden {
			t.Run(pname+"/"+hname, func(t *testing.T) {
				e := newEnv(t)
				before := e.store.Count()
				_, err := path(e, reason)
				if !errors.Is(err, commands.ErrInvalid) || commands.ErrorField(err) != commands.FieldReason {
					t.Fatalf("got %v (code %s, field %q), want a refusal about the reason", err, commands.ErrorCode(err), commands.ErrorField(err))
				}
				if pname == "Request" && e.store.Count() != before {
					t.Fatal("the refused request was stored")
				}
			})
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"", "checking the cold room", "line one\nline two\ttab", "dev 👩\u200D💻 here", "👍🏽\u200D", "Ünïcödé ok", "العربية"} {
		if err := commands.CheckText("reason", ok); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"\xff", "bell\a", "\u202Dx", "\u2066x\u2069", "x\u061C", "\u200Cx", "x\u180E"} {
		if err := commands.CheckText("reason", bad); err == nil {
			t.Errorf("CheckText(%q) = nil, want a refusal", bad)
		}
	}
}
