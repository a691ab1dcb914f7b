package commands

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a Go duration with one unit added: "d" for 24 hours, so that
// policy files and slash commands can say "7d" or "1d12h". Negative durations are refused:
// nothing in cakegate lasts less than nothing.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	whole := s
	if s == "" {
		return 0, fmt.Errorf("empty duration: write it like 90s, 45m, 8h or 7d")
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("duration %q: write it without a sign, like 8h or 7d", s)
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("duration %q: the number before d must be whole days, like 7d", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: write it like 90s, 45m, 8h or 7d", whole)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q: write it without a sign, like 8h or 7d", whole)
	}
	total := days + d
	if total < days { // overflow
		return 0, fmt.Errorf("duration %q is too long", whole)
	}
	return total, nil
}

// FormatDuration prints a duration the way people write it in cakegate: "7d", "1d12h", "8h", "45m".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if d > 0 {
		if b.Len() == 0 || d%time.Second == 0 {
			fmt.Fprintf(&b, "%gs", d.Seconds())
		}
	}
	return b.String()
}
