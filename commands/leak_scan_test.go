package commands_test

import (
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

func candidates(text string) []string {
	var out []string
	commands.TokenCandidates(text, func(c string) { out = append(out, c) })
	return out
}

func TestTokenCandidates(t *testing.T) {
	hex40 := strings.Repeat("0123456789abcdef", 3)[:40]
	tests := []struct {
		name, text string
		want       []string
	}{
		{"Alone", hex40, []string{hex40}},
		{"InASentence", "here is my token: " + hex40 + ", oops", []string{hex40}},
		{"InCode", "`" + hex40 + "`", []string{hex40}},
		{"InAHeader", "Authorization: Token " + hex40 + "\n", []string{hex40}},
		{"InAURL", "https://x.example/?t=" + hex40 + "&a=b", []string{hex40}},
		{"Two", hex40 + " " + strings.ToUpper(hex40), []string{hex40, strings.ToUpper(hex40)}},
		{"Shortest", strings.Repeat("a", 32), []string{strings.Repeat("a", 32)}},
		{"Longest", strings.Repeat("a", 128), []string{strings.Repeat("a", 128)}},
		{"TooShort", strings.Repeat("a", 31), nil},
		{"TooLong", strings.Repeat("a", 129), nil},
		{"UnicodeAround", "é" + hex40 + "ü", []string{hex40}},
		{"Empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := candidates(tt.text)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	// echo -n abc | sha256sum
	if got := commands.Fingerprint("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("got %s", got)
	}
}

// FuzzTokenCandidates: every candidate is a run of 32–128 token characters found in the
// text at a boundary, and a token set off by any non-token byte is always found.
func FuzzTokenCandidates(f *testing.F) {
	f.Add("token: 0123456789abcdef0123456789abcdef01234567.", "0123456789abcdef0123456789abcdef01234567")
	f.Add("é\x00\xff", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ")
	f.Fuzz(func(t *testing.T, text, token string) {
		for _, c := range candidates(text) {
			if len(c) < commands.MinTokenRun || len(c) > commands.MaxTokenRun || !strings.Contains(text, c) {
				t.Fatalf("candidate %q of %q", c, text)
			}
			for i := 0; i < len(c); i++ {
				if !tokenChar(c[i]) {
					t.Fatalf("candidate %q holds %q", c, c[i])
				}
			}
		}
		if len(token) < commands.MinTokenRun || len(token) > commands.MaxTokenRun {
			return
		}
		for i := 0; i < len(token); i++ {
			if !tokenChar(token[i]) {
				return
			}
		}
		found := false
		for _, c := range candidates(text + " " + token + "\n" + text) {
			found = found || c == token
		}
		if !found {
			t.Fatalf("token %q set off by spaces not found in %q", token, text)
		}
	})
}

func tokenChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}
