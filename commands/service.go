package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Service runs cakegate's use cases. Its fields are its dependencies; main fills them in.
// A Service is safe for concurrent use: every decision is a compare-and-set in the Store.
type Service struct {
	Policy   *Policy
	Store    Store
	Datacake Datacake
	Devices  DeviceDirectory
	Groups   Groups // may be nil when the policy names no user groups
	// Rosters reads the on-call groups of roles with on_call; nil: the rule approves nothing.
	Rosters Rosters
	// Directory, if set, is asked whether a person recorded as deactivated is active again
	// before their new request is refused (a reactivation whose event was missed).
	Directory Directory
	Journal   Journal     // may be nil: then what belongs to no request is only logged
	AuditLog  AuditReader // may be nil: then /cakegate audit explains where the log is
	Reviews   ReviewStore // may be nil: then access reviews are refused
	Clock     Clock
	Log       *slog.Logger

	// Installation is the database's installation id, put in the name of every API user
	// this cakegate creates; InstalledAt is when the database got it. Reconcile treats only
	// API users named with Installation as its own.
	Installation string
	InstalledAt  time.Time

	// Waker, if set, is told whenever a grant's end is recorded, so the Alarm on the
	// earliest end re-arms.
	Waker interface{ Wake() }

	// Runs, when several cakegates share the store, says which other runs are alive, so
	// reconcile leaves a request that a live replica is provisioning alone. nil: this
	// process is the only one, and a claim by another run is a dead run's.
	Runs Runs

	// Memos, if set, remembers in the store what was reported once (memos.go); nil: in
	// this process only. Fingerprints, if set, is the store's index of live tokens, which
	// every replica follows (leak_index.go); nil: each process loads them itself.
	Memos        Memos
	Fingerprints Fingerprints
	// Turns, if set, holds the turns of clicks on one API user (turns.go) where every
	// replica sees them: the store, on etcd. Nil: this process's memory, which is all one
	// process on one bbolt file needs, without a sync per turn.
	Turns Memos

	// instance names this run of cakegate. A request is moved to provisioning with it, so
	// reconcile can tell the provisioning this process is doing now from what a process that
	// died left half done.
	instanceOnce sync.Once
	instance     string
	// expiring serialises ExpireDue: the cron sweep and the Alarm may both run it, and two
	// at once would delete the same API user twice.
	expiring sync.Mutex
	// leaks maps the fingerprints of live tokens to their requests (leak.go).
	leaks leakWatch
	// counts are the API users by class at the last full list (access_counts.go).
	counts accessCounts
	// reportedOrphans holds API users already reported by this process; Memos holds them
	// for every replica and across restarts (firstReport).
	reportedOrphans sync.Map // API user id → until when it is not reported again (time.Time)
	// localMemos holds turns (turns.go) when the service has no Turns.
	localMemos memoryMemos
}

// Actor is the name the audit log gives cakegate itself, for what the scheduler does.
const Actor = "cakegate"

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// role returns the named role of the policy, or an error a person can act on.
func (s *Service) role(name string) (*Role, error) {
	role, ok := s.Policy.Role(name)
	if !ok || name == AdoptedRole {
		return nil, Errorf(CodeUnknownRole, "there is no role %s. %s", Escape(strconv.Quote(name)), s.roleHint()).about(FieldRole)
	}
	return role, nil
}

// get loads a request, turning a missing one into a message that names it.
func (s *Service) get(ctx context.Context, id RequestID) (*Request, error) {
	r, err := s.Store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(CodeNotFound, "there is no request %s. `/cakegate list` shows yours.", id)
	}
	if err != nil {
		return nil, err
	}
	if err := checkSeen(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// event builds an audit event for r at now.
func (s *Service) event(r *Request, actor, action string, from State, detail string) AuditEvent {
	return AuditEvent{At: s.now(), Request: r.ID, Actor: actor, Action: action, From: from, To: r.State, Detail: detail}
}

// notify builds an outbox notification about r.
func (s *Service) notify(r *Request, kind NotificationKind, text string) Notification {
	return Notification{Kind: kind, Request: r.ID, Text: text, CreatedAt: s.now()}
}

// urgent builds a security notice about r (a revocation, an expiry, a failure, an alert),
// which the outbox delivers before routine news.
func (s *Service) urgent(r *Request, kind NotificationKind, text string) Notification {
	n := s.notify(r, kind, text)
	n.Urgent = true
	return n
}

// instanceID returns this run's name, made once at random.
func (s *Service) instanceID() string {
	s.instanceOnce.Do(func() {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.instance = hex.EncodeToString(b[:])
	})
	return s.instance
}

// RecordMessage stores where the approval message of a request was posted, so later
// changes update it in place.
func (s *Service) RecordMessage(ctx context.Context, id RequestID, m MessageRef) error {
	_, err := s.Store.Update(ctx, id, func(r *Request) (Change, error) {
		r.Message = m
		return Change{}, nil
	})
	return err
}
