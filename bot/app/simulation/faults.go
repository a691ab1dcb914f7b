package simulation

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The fault model. Each fault has a name that appears in the trace; the seed chooses when
// they happen. Calls fail only during a storm of their service (a stretch of minutes to
// hours when Datacake or Slack misbehaves), so the calm between storms lets the
// invariants judge whether cakegate recovered.
const (
	faultLatency     = "latency"          // the answer takes seconds of virtual time
	faultTimeout     = "timeout"          // no answer, nothing done
	faultStatus      = "status"           // an error status (5xx, 429 with Retry-After, a made-up body), nothing done
	faultLostAnswer  = "lost-answer"      // done, but the answer never arrives
	faultAfterStatus = "done-then-status" // done, then answered with an error (Slack's post that succeeded but answered 429; Datacake's garbled answer)
)

// callFault is what happens to one call.
type callFault struct {
	kind       string
	name       string // a readable name for the trace: "datacake-5xx", "slack-429-after-success", …
	status     int
	retryAfter time.Duration
	body       string
	delay      time.Duration
}

func (f callFault) detail() string {
	switch {
	case f.delay > 0:
		return fmt.Sprintf(" (%s, %s)", f.name, f.delay)
	case f.retryAfter > 0:
		return fmt.Sprintf(" (%s, Retry-After %s)", f.name, f.retryAfter)
	}
	return " (" + f.name + ")"
}

// faultModel holds the weather: when each service's storm ends, and the last disturbance.
type faultModel struct {
	w             *World
	datacakeStorm time.Time // Datacake misbehaves until then
	slackStorm    time.Time
	// out is the outages that excuse time-bound promises (grace.go).
	out *outages
	// rate is the chance that a call in a storm fails.
	rate float64
	off  bool // quiescence: no faults at all
}

func newFaultModel(w *World) *faultModel {
	return &faultModel{w: w, rate: 0.35, out: newOutages()}
}

// forCall decides what happens to one call.
func (m *faultModel) forCall(name string) callFault {
	w := m.w
	now := w.clock.Now()
	if m.off {
		return callFault{}
	}
	switch {
	case strings.HasPrefix(name, "datacake."):
		if !now.Before(m.datacakeStorm) || w.rng.Float64() >= m.rate {
			return callFault{}
		}
		return m.datacakeFault(name)
	case strings.HasPrefix(name, "slack."):
		if !now.Before(m.slackStorm) || w.rng.Float64() >= m.rate {
			return callFault{}
		}
		return m.slackFault(name)
	}
	return callFault{}
}

func (m *faultModel) datacakeFault(name string) callFault {
	rng := m.w.rng
	switch n := rng.IntN(9); n {
	case 0:
		return callFault{kind: faultLatency, name: "datacake-latency", delay: time.Duration(1+rng.IntN(30)) * time.Second}
	case 1:
		return callFault{kind: faultTimeout, name: "datacake-timeout"}
	case 2:
		return callFault{kind: faultStatus, name: "datacake-5xx", status: []int{500, 502, 503, 504}[rng.IntN(4)]}
	case 3:
		return callFault{kind: faultStatus, name: "datacake-429", status: http.StatusTooManyRequests, retryAfter: time.Duration(1+rng.IntN(90)) * time.Second}
	case 4:
		return callFault{kind: faultStatus, name: "datacake-malformed-json", status: http.StatusOK, body: `{"data": {"x": `}
	case 5:
		return callFault{kind: faultLostAnswer, name: "datacake-lost-answer"}
	case 6:
		return callFault{kind: faultAfterStatus, name: "datacake-done-then-malformed", status: http.StatusOK, body: `<html>upstream`}
	case 7:
		if name == "datacake.DeleteApiUser" {
			return callFault{kind: faultStatus, name: "datacake-delete-ok-false", status: http.StatusOK, body: `{"data":{"deleteApiUser":{"ok":false}}}`}
		}
		return callFault{kind: faultStatus, name: "datacake-graphql-error", status: http.StatusOK, body: `{"errors":[{"message":"Internal server error"}],"data":null}`}
	default:
		return callFault{kind: faultStatus, name: "datacake-502-gateway", status: http.StatusBadGateway}
	}
}

func (m *faultModel) slackFault(name string) callFault {
	rng := m.w.rng
	retry := time.Duration(1+rng.IntN(60)) * time.Second
	switch n := rng.IntN(5); n {
	case 0:
		return callFault{kind: faultStatus, name: "slack-429", status: http.StatusTooManyRequests, retryAfter: retry, body: `{"ok":false,"error":"ratelimited"}`}
	case 1:
		return callFault{kind: faultStatus, name: "slack-5xx", status: http.StatusInternalServerError}
	case 2:
		if name == "slack.chat.postMessage" || name == "slack.chat.update" {
			return callFault{kind: faultAfterStatus, name: "slack-429-after-success", status: http.StatusTooManyRequests, retryAfter: retry, body: `{"ok":false,"error":"ratelimited"}`}
		}
		return callFault{kind: faultStatus, name: "slack-internal-error", status: http.StatusOK, body: `{"ok":false,"error":"internal_error"}`}
	case 3:
		return callFault{kind: faultLostAnswer, name: "slack-lost-answer"}
	default:
		return callFault{kind: faultStatus, name: "slack-fatal-error", status: http.StatusOK, body: `{"ok":false,"error":"fatal_error"}`}
	}
}
