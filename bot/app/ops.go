package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// dbPathFrom is CAKEGATE_DB or its default.
func dbPathFrom(getenv func(string) string) string {
	return orDefault(getenv("CAKEGATE_DB"), defaultDBPath)
}

// Backup is `cakegate backup FILE`: a consistent copy of the database, taken while the bot
// runs if it does. The copy is written beside FILE and renamed into place, so FILE is never
// half written; it is private (0600) like the database.
func Backup(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: cakegate backup FILE")
		return 2
	}
	dest := args[0]
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".cakegate-backup-*")
	if err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	defer os.Remove(tmp.Name())
	if err = tmp.Chmod(0o600); err == nil {
		err = state.BackupFrom(dbPathFrom(getenv), tmp)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), dest)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup written to %s\n", dest)
	return 0
}

// Audit is `cakegate audit export [--since T] [--request R42]` and `cakegate audit verify`.
func Audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const usage = "usage: cakegate audit export [--since TIME] [--request R42] | cakegate audit verify"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "export":
		fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
		fs.SetOutput(stderr)
		since := fs.String("since", "", "only events at or after TIME: RFC 3339 (2026-11-01T00:00:00Z), a date (2026-11-01) or an age (24h, 7d)")
		request := fs.String("request", "", "only the events of one request, e.g. R42")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			fmt.Fprintln(stderr, usage)
			return 2
		}
		var from time.Time
		if *since != "" {
			t, err := parseSince(*since, time.Now())
			if err != nil {
				fmt.Fprintln(stderr, "audit export:", err)
				return 2
			}
			from = t
		}
		var id commands.RequestID
		if *request != "" {
			var err error
			if id, err = commands.ParseRequestID(*request); err != nil {
				fmt.Fprintln(stderr, "audit export:", err)
				return 2
			}
		}
		return withSnapshot(getenv, stderr, func(s *state.Store) error {
			if id != 0 {
				// An empty export would look like a request that left no trace.
				if _, err := s.Get(ctx, id); commands.ErrorCode(err) == commands.CodeNotFound {
					return fmt.Errorf("there is no request %s in %s", id, dbPathFrom(getenv))
				} else if err != nil {
					return err
				}
			}
			return exportAudit(ctx, s, stdout, from, id)
		})
	case "verify":
		if len(args) > 1 {
			fmt.Fprintln(stderr, usage)
			return 2
		}
		return withSnapshot(getenv, stderr, func(s *state.Store) error {
			broken, err := s.VerifyAudit(ctx)
			if broken != 0 {
				return fmt.Errorf("the audit log is broken at event %d: %w", broken, err)
			}
			if err != nil {
				return err
			}
			st, err := s.Stats(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "audit log intact: %d events, every link of the hash chain holds\n", st.AuditEvents)
			return nil
		})
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

func withSnapshot(getenv func(string) string, stderr io.Writer, fn func(*state.Store) error) int {
	s, closeSnapshot, err := state.OpenSnapshot(dbPathFrom(getenv))
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return 1
	}
	defer closeSnapshot()
	if err := fn(s); err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return 1
	}
	return 0
}

// exportAudit writes the audit records as JSON lines, oldest first.
func exportAudit(ctx context.Context, s *state.Store, w io.Writer, since time.Time, id commands.RequestID) error {
	enc := json.NewEncoder(w)
	write := func(recs []state.AuditRecord) error {
		for _, r := range recs {
			if r.At.Before(since) {
				continue
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if id != 0 {
		recs, err := s.AuditForRequest(ctx, id)
		if err != nil {
			return err
		}
		return write(recs)
	}
	for after := uint64(0); ; {
		recs, err := s.AuditEvents(ctx, after, 1000)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		if err := write(recs); err != nil {
			return err
		}
		after = recs[len(recs)-1].Seq
	}
}

// parseSince reads --since: a time, a date, or an age before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := commands.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New("--since " + s + ": give a time (2026-11-01T09:00:00Z), a date (2026-11-01) or an age (24h, 7d)")
}
