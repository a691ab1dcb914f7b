package commands_test

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90s", 90 * time.Second, false},
		{"45m", 45 * time.Minute, false},
		{"8h", 8 * time.Hour, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{" 2h30m ", 150 * time.Minute, false},
		{"", 0, true},
		{"7", 0, true},
		{"d", 0, true},
		{"1.5d", 0, true},
		{"-1h", 0, true},
		{"+1h", 0, true},
		{"1dd", 0, true},
		{"7x", 0, true},
		{"99999999d", 0, true},
	}
	for _, tt := range tests {
		got, err := commands.ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour: "7d", 36 * time.Hour: "1d12h", 8 * time.Hour: "8h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s", 0: "0s",
	} {
		if got := commands.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseRequestID(t *testing.T) {
	for in, want := range map[string]commands.RequestID{"R42": 42, "r7": 7, "3": 3} {
		if got, err := commands.ParseRequestID(in); err != nil || got != want {
			t.Errorf("ParseRequestID(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "R", "R0", "R-1", "RR1", "Rr1", "x1", "R1x", "+1"} {
		if _, err := commands.ParseRequestID(in); err == nil {
			t.Errorf("ParseRequestID(%q) accepted", in)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "7d", "1d12h", "-1h", "1dd", "99999999d", "1d1d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := commands.ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
	})
}

func FuzzParseRequestID(f *testing.F) {
	for _, s := range []string{"R42", "r1", "0", "R18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := commands.ParseRequestID(s)
		if err == nil && id == 0 {
			t.Fatalf("ParseRequestID(%q) accepted id 0", s)
		}
	})
}
