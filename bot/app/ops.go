package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
)

// dbPathFrom is CAKEGATE_DB or its default.
func dbPathFrom(getenv func(string) string) string {
	return orDefault(getenv("CAKEGATE_DB"), defaultDBPath)
}

// Audit is `cakegate audit export [--since T] [--request R42]` and `cakegate audit verify`.
func Audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const usage = "usage: cakegate audit export [--since TIME] [--request R42] | cakegate audit verify"
	if len(args) == 1 && isHelpFlag(args[0]) {
		fmt.Fprintln(stderr, usage)
		return ExitOK
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return ExitFix
	}
	switch args[0] {
	case "export":
		fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
		fs.SetOutput(stderr)
		since := fs.String("since", "", "only events at or after TIME: RFC 3339 (2026-11-01T00:00:00Z), a date (2026-11-01) or an age (24h, 7d)")
		request := fs.String("request", "", "only the events of one request, e.g. R42")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
			fmt.Fprintln(stderr, usage)
			return usageExit(err)
		}
		var from time.Time
		if *since != "" {
			t, err := parseSince(*since, time.Now())
			if err != nil {
				fmt.Fprintln(stderr, "audit export:", err)
				return ExitFix
			}
			from = t
		}
		var id commands.RequestID
		if *request != "" {
			var err error
			if id, err = commands.ParseRequestID(*request); err != nil {
				fmt.Fprintln(stderr, "audit export:", err)
				return ExitFix
			}
		}
		return withSnapshot(ctx, getenv, nil, stderr, func(s auditSource) error {
			if id != 0 {
				// An empty export would look like a request that left no trace.
				if _, err := s.Get(ctx, id); commands.ErrorCode(err) == commands.CodeNotFound {
					return fixError{fmt.Errorf("there is no request %s in %s", id, storeName(getenv))}
				} else if err != nil {
					return err
				}
			}
			return exportAudit(ctx, s, stdout, from, id)
		})
	case "verify":
		if len(args) > 1 {
			fmt.Fprintln(stderr, usage)
			return ExitFix
		}
		key, problem := loadAuditKey(getenv)
		if problem != "" {
			fmt.Fprintln(stderr, "cakegate:", problem)
			return ExitFix
		}
		return verifyAudit(ctx, getenv, key.Key, stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return ExitFix
}

// auditSource is what the audit commands read, from a bbolt snapshot or an etcd view.
type auditSource interface {
	Get(ctx context.Context, id commands.RequestID) (*commands.Request, error)
	AuditEvents(ctx context.Context, afterSeq uint64, limit int) ([]state.AuditRecord, error)
	AuditForRequest(ctx context.Context, id commands.RequestID) ([]state.AuditRecord, error)
	VerifyAudit(ctx context.Context) (uint64, error)
	AuditKeying(ctx context.Context) (state.AuditKeying, error)
	Stats(ctx context.Context) (state.Stats, error)
}

// withSnapshot runs fn on the store as it is at one moment: a private copy of the bbolt
// file, or a view of etcd at one revision; key checks a keyed audit chain (nil: none).
func withSnapshot(ctx context.Context, getenv func(string) string, key *state.AuditKey, stderr io.Writer, fn func(auditSource) error) int {
	s, closeSnapshot, err := openSnapshot(ctx, getenv, key)
	if err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return exitCodeOf(err)
	}
	defer closeSnapshot()
	if err := fn(s); err != nil {
		fmt.Fprintln(stderr, "cakegate:", err)
		return exitCodeOf(err)
	}
	return ExitOK
}

// exportAudit writes the audit records as JSON lines, oldest first.
func exportAudit(ctx context.Context, s auditSource, w io.Writer, since time.Time, id commands.RequestID) error {
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

// openSnapshot opens the store CAKEGATE_STORE names as it is now, read-only, checking a
// keyed audit chain with key (nil: none).
func openSnapshot(ctx context.Context, getenv func(string) string, key *state.AuditKey) (auditSource, func(), error) {
	if storeKind(getenv) != storeEtcd {
		return state.OpenSnapshot(dbPathFrom(getenv), state.WithAuditKey(key))
	}
	s, err := etcdstore.Connect(ctx, etcdConfig(getenv), etcdstore.WithAuditKey(key))
	if err != nil {
		return nil, nil, err
	}
	view, err := s.AtRevision(ctx)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return view, func() { s.Close() }, nil
}

// backupEtcd writes the etcd store, read at one revision, into a new bbolt file at dest:
// a backup that opens like any cakegate database, and that `cakegate migrate --to etcd`
// restores into an empty prefix. tmpName is a free name beside dest to write first.
func backupEtcd(ctx context.Context, cfg etcdstore.Config, tmpName, dest string) error {
	s, err := etcdstore.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	// Import creates the file itself and refuses one that exists.
	os.Remove(tmpName)
	if err := s.Export(ctx, func(c state.Content) error { return state.Import(ctx, tmpName, c) }); err != nil {
		return err
	}
	return os.Rename(tmpName, dest)
}

// storeName names the store CAKEGATE_STORE chooses, for messages: the bbolt file, or the
// etcd prefix.
func storeName(getenv func(string) string) string {
	if storeKind(getenv) == storeEtcd {
		return "etcd " + etcdConfig(getenv).Prefix
	}
	return dbPathFrom(getenv)
}
