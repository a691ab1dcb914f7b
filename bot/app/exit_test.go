package app

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestExitCodesDocumented keeps docs/exit-codes.md's table the code's list (exitCauses),
// row for row, so the documented contract cannot drift from what the commands do.
func TestExitCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Code") {
			continue
		}
		got = append(got, strings.TrimSpace(line))
	}
	var want []string
	for _, c := range exitCauses {
		want = append(want, exitTableRow(c))
	}
	if !slices.Equal(got, want) {
		t.Errorf("docs/exit-codes.md's table is not the code's list (exit.go); it should read:\n\n"+
			"| Code | Kind | Commands | When |\n|---|---|---|---|\n%s", strings.Join(want, "\n"))
	}
}

// exitTableRow is c as a row of the table.
func exitTableRow(c ExitCause) string {
	commands := strings.Join(c.Commands, ", ")
	if slices.Equal(c.Commands, CommandNames) {
		commands = "every command"
	}
	return "| " + strconv.Itoa(c.Code) + " | " + c.Kind + " | " + commands + " | " + c.What + " |"
}

// TestExitCodeOf: the errors the commands meet map to the contract's codes.
func TestExitCodeOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"Nil", nil, ExitOK},
		{"Settings", configError{"CAKEGATE_ADDR=x"}, ExitFix},
		{"RefusedToken", &dependencyError{Refused: true, msg: "refused"}, ExitFix},
		{"Unreachable", &dependencyError{msg: "did not answer"}, ExitRetry},
		{"AuditLog", fixError{os.ErrClosed}, ExitFix},
		{"Other", os.ErrDeadlineExceeded, ExitRetry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitCodeOf(tc.err); got != tc.want {
				t.Errorf("exitCodeOf(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}
