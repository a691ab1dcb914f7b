package bot

import (
	"strings"
	"testing"
)

// FuzzParseButtonValue: a button's value and a form's private_metadata come back from
// Slack as anyone may send them. Whatever they hold, parsing gives an error or an id and
// version that format back to the value's parts.
func FuzzParseButtonValue(f *testing.F) {
	for _, seed := range []string{"R42;pending", "R42;active+ext1795777200.1440", "R42", "", ";", "R;x", "R42;;", "R18446744073709551616;pending", "r7; pending"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		id, version, err := parseButtonValue(value)
		if err != nil {
			return
		}
		idText, rest, _ := strings.Cut(value, ";")
		if version != rest {
			t.Fatalf("parseButtonValue(%q) version %q, want %q", value, version, rest)
		}
		if id == 0 {
			t.Fatalf("parseButtonValue(%q) accepted %q as id 0", value, idText)
		}
	})
}
