package bot

import (
	"fmt"
	"runtime/debug"
)

// recovered is deferred by every goroutine that handles input from Slack or runs queued
// work: one payload that trips a bug must cost that payload only, never the process and
// everyone's pending work with it. The panic is logged with its stack (which holds code
// positions and pointers, no values such as tokens) and counted through Config.OnPanic.
// It must be deferred directly (defer b.recovered("…")), or recover sees nothing.
func (b *Bot) recovered(where string) {
	if p := recover(); p != nil {
		b.panicked(where, p)
	}
}

// panicked logs and counts a recovered panic.
func (b *Bot) panicked(where string, p any) {
	b.log.Error("recovered from a panic; the process carries on", "where", where, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	if b.onPanic != nil {
		b.onPanic(where)
	}
}

// Where a panic was recovered, for Config.OnPanic and the metric it feeds.
const (
	PanicHTTP   = "http"
	PanicSocket = "socket_mode"
	PanicWork   = "work"
	PanicOutbox = "outbox"
)
