package commands_test

import (
	"testing"

	"github.com/cakegate/cakegate/commands"
)

func TestAPIUserName(t *testing.T) {
	for _, tc := range []struct {
		install string
		want    string
	}{
		{"k3f9q2", "cakegate-k3f9q2-r42-u012ab3cd"},
		{"r23456", "cakegate-r23456-r42-u012ab3cd"}, // an id that looks like a request
		{"", "cakegate-r42-u012ab3cd"},              // before installation ids
	} {
		name := commands.APIUserName(tc.install, 42, "U012AB3CD")
		if name != tc.want {
			t.Fatalf("APIUserName(%q) = %q, want %q", tc.install, name, tc.want)
		}
		o, ok := commands.ParseAPIUserName(name)
		if want := (commands.APIUserOrigin{Installation: tc.install, Request: 42, User: "U012AB3CD"}); !ok || o != want {
			t.Fatalf("ParseAPIUserName(%q) = %+v, %v; want %+v", name, o, ok, want)
		}
	}
	for _, n := range []string{"alice", "cakegate-r-x", "cakegate-rx1-u", "cakegate-r0-u", "cakegate-", "cakegate-k3f9q2-x42-u1", "cakegate-K3F9Q2-r42-u1", "Cakegate-r42-u1"} {
		if o, ok := commands.ParseAPIUserName(n); ok {
			t.Errorf("ParseAPIUserName(%q) claimed it: %+v", n, o)
		}
	}
	// A renamed user part still names the request, but no Slack user.
	if o, ok := commands.ParseAPIUserName("cakegate-k3f9q2-r7-someone's test"); !ok || o.Request != 7 || o.User != "" {
		t.Errorf("got %+v %v", o, ok)
	}
}

// FuzzParseAPIUserName: names come from Datacake, where anyone with the members permission
// can name an API user anything. Whatever is claimed must round-trip.
func FuzzParseAPIUserName(f *testing.F) {
	for _, s := range []string{"cakegate-k3f9q2-r42-u012ab3cd", "cakegate-r42-u1", "cakegate-r23456-r1-w9", "cakegate-", "cakegate-abcd-r18446744073709551615-u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		o, ok := commands.ParseAPIUserName(name)
		if !ok {
			return
		}
		if o.Request == 0 {
			t.Fatalf("%q: claimed with request 0", name)
		}
		if o.User != "" {
			if again := commands.APIUserName(o.Installation, o.Request, o.User); again != name {
				t.Fatalf("%q parsed as %+v, which names %q", name, o, again)
			}
		}
	})
}
