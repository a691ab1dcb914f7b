package bot

import "testing"

func TestNamedReplacesWholeCommands(t *testing.T) {
	b := New(Config{CommandName: "/ask"})
	for in, want := range map[string]string{
		"`/cakegate list` shows yours.":         "`/ask list` shows yours.",
		"/cakegate help lists the commands.":    "/ask help lists the commands.",
		"use /cakegate deny instead.":           "use /ask deny instead.",
		"(see /cakegate)":                       "(see /ask)",
		"#cakegate-approvals and /cakegate-dev": "#cakegate-approvals and /cakegate-dev",
		"https://example.com/cakegate/x":        "https://example.com/cakegate/x",
		"`cakegate audit export` has them all":  "`cakegate audit export` has them all",
		"/cakegate request\n/cakegate list":     "/ask request\n/ask list",
		"nothing to do":                         "nothing to do",
	} {
		if got := b.named(in); got != want {
			t.Errorf("named(%q) = %q, want %q", in, got, want)
		}
	}
	if got := New(Config{}).named("`/cakegate list`"); got != "`/cakegate list`" {
		t.Errorf("default name rewrote %q", got)
	}
}
