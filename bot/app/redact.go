package app

import (
	"log/slog"
	"strings"
)

// redactor returns a slog ReplaceAttr that blanks any configured secret wherever it appears
// in a logged string, as a last guard: nothing should log a secret in the first place.
func redactor(secrets []string) func(groups []string, a slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		if len(secrets) == 0 {
			return a
		}
		v := a.Value.Resolve()
		var s string
		switch v.Kind() {
		case slog.KindString:
			s = v.String()
		case slog.KindAny:
			if err, ok := v.Any().(error); ok {
				s = err.Error()
			} else {
				return a
			}
		default:
			return a
		}
		changed := false
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, "[redacted]")
				changed = true
			}
		}
		if changed {
			return slog.String(a.Key, s)
		}
		return a
	}
}
