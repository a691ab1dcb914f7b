package simulation

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// trace keeps the last lines of the history, for the report of a failure: virtual time,
// actor, action, outcome or fault.
type trace struct {
	// onFault counts a fault line by name.
	onFault func(name string)
	lines   []string
	next    int
	full    bool
	step    int
}

const traceKeep = 80

func newTrace() *trace { return &trace{lines: make([]string, traceKeep)} }

func (t *trace) add(at time.Time, actor, action, detail string) {
	if actor == "fault" && t.onFault != nil {
		name := action
		if i := strings.LastIndex(detail, " ("); i >= 0 && strings.HasSuffix(detail, ")") {
			name, _, _ = strings.Cut(detail[i+2:len(detail)-1], ",")
		}
		t.onFault(name)
	}
	// The fakes listen on ports the OS picks; a replay must read the same.
	detail = loopbackPort.ReplaceAllString(detail, "127.0.0.1:PORT")
	line := fmt.Sprintf("step %-6d %s  %-9s %-28s %s", t.step, at.UTC().Format("2006-01-02 15:04:05"), actor, action, detail)
	t.lines[t.next] = line
	t.next = (t.next + 1) % traceKeep
	if t.next == 0 {
		t.full = true
	}
}

// last returns up to n of the newest lines, oldest first.
func (t *trace) last(n int) string {
	var out []string
	count := t.next
	if t.full {
		count = traceKeep
	}
	n = min(n, count)
	for i := count - n; i < count; i++ {
		idx := i
		if t.full {
			idx = (t.next + i) % traceKeep
		}
		out = append(out, t.lines[idx])
	}
	return strings.Join(out, "\n")
}

var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)
