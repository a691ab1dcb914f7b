package commandstest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// Datacake holds API users in memory and counts creates. Set CreateErr or DeleteErr (before
// the calls they should fail) to make every create or delete fail.
type Datacake struct {
	mu        sync.Mutex
	next      int
	users     map[string]commands.APIUserSpec
	createdAt map[string]time.Time // set by AddUser; others are zero, as if Datacake did not say
	// Created counts the API users ever created.
	Created   atomic.Int64
	CreateErr error
	DeleteErr error
	// MissingErr, if set, answers a delete of an unknown API user instead of ErrNotFound:
	// an error form cakegate does not recognise.
	MissingErr error
	// OnCreate, if set, is called at the start of each create, for concurrency tests.
	OnCreate func()
	// OnFind, if set, is called after each list is taken and before it is returned: what
	// it changes happened after the list was read.
	OnFind func()
}

// NewDatacake is a Datacake workspace without API users.
func NewDatacake() *Datacake {
	return &Datacake{users: map[string]commands.APIUserSpec{}, createdAt: map[string]time.Time{}}
}

// AddUser adds an API user to workspace ws-1 as someone (or another cakegate) made it at
// created, and returns its id.
func (f *Datacake) AddUser(name string, created time.Time) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("api-user-%d", f.next)
	f.users[id] = commands.APIUserSpec{Workspace: "ws-1", Name: name}
	f.createdAt[id] = created
	return id
}

// CreateAPIUser makes an API user of spec, with a token that names it.
func (f *Datacake) CreateAPIUser(_ context.Context, spec commands.APIUserSpec) (commands.APIUser, commands.Token, error) {
	if f.OnCreate != nil {
		f.OnCreate()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.CreateErr != nil {
		return commands.APIUser{}, "", f.CreateErr
	}
	f.next++
	id := fmt.Sprintf("api-user-%d", f.next)
	f.users[id] = spec
	f.Created.Add(1)
	return commands.APIUser{ID: id, Name: spec.Name}, TokenOf(id), nil
}

// TokenOf is the token Datacake gives API user id: 40 hex characters, like Datacake's, that
// share nothing with the id or anything else stored, so a search for it finds only it.
func TokenOf(id string) commands.Token {
	sum := sha256.Sum256([]byte("commandstest token of " + id))
	return commands.Token(hex.EncodeToString(sum[:20]))
}

// DeleteAPIUser deletes API user id; one that does not exist is ErrNotFound.
func (f *Datacake) DeleteAPIUser(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.DeleteErr != nil {
		return f.DeleteErr
	}
	if _, ok := f.users[id]; !ok {
		if f.MissingErr != nil {
			return f.MissingErr
		}
		return commands.Errorf(commands.CodeNotFound, "no API user %s", id)
	}
	delete(f.users, id)
	return nil
}

// FindAPIUsers lists the API users whose name starts with prefix.
func (f *Datacake) FindAPIUsers(_ context.Context, _, prefix string) ([]commands.APIUser, error) {
	f.mu.Lock()
	var out []commands.APIUser
	for id, spec := range f.users {
		if strings.HasPrefix(spec.Name, prefix) {
			out = append(out, commands.APIUser{ID: id, Name: spec.Name, Created: f.createdAt[id]})
		}
	}
	f.mu.Unlock()
	if f.OnFind != nil {
		f.OnFind()
	}
	return out, nil
}

// Count is how many API users exist.
func (f *Datacake) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.users)
}

// Spec returns what API user id was created with, if it exists.
func (f *Datacake) Spec(id string) (commands.APIUserSpec, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.users[id]
	return s, ok
}

// RemoveOutOfBand deletes an API user as someone in the Datacake portal would: cakegate
// is not asked and not told.
func (f *Datacake) RemoveOutOfBand(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}
