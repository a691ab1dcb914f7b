package app

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/cakegate/cakegate/commands"
)

// changeLog writes what the audit log records to the operator's log as well: one INFO line
// per event a request went through (request id, actor, role, action, from → to), and one
// WARN per notification that warns someone, with the words they read, so an operator can
// grep for what a user reports. It reads the committed change, like the metrics, so
// commands needs no logging of its own for it and nothing is logged for a write that did not
// happen. It never logs a token: changes carry none.
type changeLog struct {
	log *slog.Logger
}

// maxLoggedDetail bounds the free text (a reason, a failure) a log line carries.
const maxLoggedDetail = 120

// observe logs the change c made to r (nil for a change that concerns no request).
func (l changeLog) observe(ctx context.Context, r *commands.Request, c commands.Change) {
	if l.log == nil {
		return
	}
	for _, e := range c.Audit {
		if e.Request == 0 && r != nil {
			e.Request = r.ID // a new request's events get its id as it is stored
		}
		attrs := []slog.Attr{
			slog.String("request", e.Request.String()),
			slog.String("actor", e.Actor),
			slog.String("action", e.Action),
		}
		if r != nil && r.ID == e.Request {
			attrs = append(attrs, slog.String("role", r.Role))
		}
		if e.From != "" {
			attrs = append(attrs, slog.String("from", string(e.From)))
		}
		if e.To != "" {
			attrs = append(attrs, slog.String("to", string(e.To)))
		}
		if d := shortText(e.Detail); d != "" {
			attrs = append(attrs, slog.String("detail", d))
		}
		msg := "request event"
		if e.From != e.To && e.To != "" {
			msg = "request state changed"
		}
		if e.Request == 0 {
			msg = "cakegate event"
		}
		l.log.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
	}
	for _, n := range c.Outbox {
		text, warns := strings.CutPrefix(n.Text, ":warning:")
		if !warns {
			continue
		}
		attrs := []slog.Attr{slog.String("to", notified(n.Kind)), slog.String("warning", shortText(text))}
		if n.Request == 0 && r != nil {
			n.Request = r.ID
		}
		if n.Request != 0 {
			attrs = append([]slog.Attr{slog.String("request", n.Request.String())}, attrs...)
		}
		l.log.LogAttrs(ctx, slog.LevelWarn, "user warned", attrs...)
	}
}

// notified names who a notification goes to.
func notified(k commands.NotificationKind) string {
	switch k {
	case commands.NotifyApprovers, commands.NotifyApprovalRequest, commands.NotifyApprovalUpdate:
		return "approvers"
	}
	return "requester"
}

// shortText is s on one line, trimmed, cut to maxLoggedDetail runes. The log handler
// quotes and escapes it (text or JSON), so a person's text cannot forge a log line.
func shortText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxLoggedDetail {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxLoggedDetail-1]) + "…"
}

// loggedJournal is the use cases' journal (events that concern no single request, such as
// an orphaned API user found) with each recorded change logged.
type loggedJournal struct {
	commands.Journal
	log changeLog
}

// Record implements commands.Journal.
func (j loggedJournal) Record(ctx context.Context, c commands.Change) error {
	if err := j.Journal.Record(ctx, c); err != nil {
		return err
	}
	j.log.observe(ctx, nil, c)
	return nil
}
