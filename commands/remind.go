package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// RemindDue queues the reminders whose time has come: for each lead time of the policy
// (24h and 1h before expiry by default), one direct message with Extend and Revoke buttons.
// Each lead time is sent once per expiry, recorded with the grant, so a restart neither
// repeats nor loses one. A grant that lasts no longer than a lead time gets no reminder for
// it; after downtime that skipped several lead times, only the nearest is sent.
func (s *Service) RemindDue(ctx context.Context) (SweepResult, error) {
	leads := s.Policy.Reminders
	if len(leads) == 0 {
		return SweepResult{}, nil
	}
	now := s.now()
	due, err := s.Store.ExpiringBefore(ctx, now.Add(slices.Max(leads)))
	if err != nil {
		return SweepResult{}, fmt.Errorf("find grants to remind: %w", err)
	}
	var res SweepResult
	for _, r := range due {
		if r.State != StateActive || len(dueLeads(r.Grant, leads, now)) == 0 {
			continue
		}
		_, err := s.Store.Update(ctx, r.ID, func(r *Request) (Change, error) {
			if r.State != StateActive || r.Grant == nil {
				return Change{}, errNotDue
			}
			leads := dueLeads(r.Grant, s.Policy.Reminders, now)
			if len(leads) == 0 {
				return Change{}, errNotDue
			}
			r.Grant.RemindersSent = append(r.Grant.RemindersSent, leads...)
			nearest := slices.Min(leads)
			return Change{
				Audit:  []AuditEvent{s.event(r, Actor, "reminded", r.State, FormatDuration(nearest)+" before expiry")},
				Outbox: []Notification{s.notify(r, NotifyReminder, fmt.Sprintf(":hourglass_flowing_sand: Your token for %s expires in %s.", r.ID, FormatDuration(r.Grant.ExpiresAt.Sub(now).Round(time.Minute))))},
			}, nil
		})
		switch {
		case err == nil:
			res.Done++
		case errors.Is(err, errNotDue):
		default:
			res.Failed++
			s.log().Error("remind", "request", r.ID.String(), "err", err)
		}
	}
	return res, nil
}

// dueLeads returns the lead times whose reminder is due now and not yet sent, leaving out
// those longer than the grant's whole life.
func dueLeads(g *Grant, leads []time.Duration, now time.Time) []time.Duration {
	if g == nil || !now.Before(g.ExpiresAt) {
		return nil
	}
	life := g.ExpiresAt.Sub(g.CreatedAt)
	var out []time.Duration
	for _, l := range leads {
		if l <= 0 || l >= life || slices.Contains(g.RemindersSent, l) {
			continue
		}
		if !now.Before(g.ExpiresAt.Add(-l)) {
			out = append(out, l)
		}
	}
	return out
}
