package commands

import "fmt"

// Plural returns "1 device" or "3 devices": every text people read counts this way, never
// with "device(s)".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
