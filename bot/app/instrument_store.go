package app

import (
	"context"

	"github.com/cakegate/cakegate/commands"
)

// instrumentedStore is the use cases' store with the decisions counted: after a write
// succeeds, the audit events it wrote say what was decided. Reading the events rather than
// adding calls to the use cases keeps commands free of metrics, and counts exactly what the
// audit log records, no more (a refused compare-and-set writes nothing and counts nothing).
type instrumentedStore struct {
	commands.Store
	m *metrics
	// log writes each committed change to the operator's log; see change_log.go.
	log changeLog
}

// Create implements commands.RequestStore.
func (s instrumentedStore) Create(ctx context.Context, r *commands.Request, c commands.Change, rules commands.CreateRules) error {
	if err := s.Store.Create(ctx, r, c, rules); err != nil {
		return err
	}
	s.m.observeChange(r, c)
	s.log.observe(ctx, r, c)
	return nil
}

// Update implements commands.RequestStore. It keeps the change fn returned, to read it once
// the transaction has committed.
func (s instrumentedStore) Update(ctx context.Context, id commands.RequestID, fn func(r *commands.Request) (commands.Change, error)) (*commands.Request, error) {
	var written commands.Change
	r, err := s.Store.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
		c, err := fn(r)
		written = c
		return c, err
	})
	if err != nil {
		return r, err
	}
	s.m.observeChange(r, written)
	s.log.observe(ctx, r, written)
	return r, nil
}
