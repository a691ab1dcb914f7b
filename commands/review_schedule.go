package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// reviewRetry is how soon a scheduled review whose list failed is tried again.
const reviewRetry = 15 * time.Minute

// DefaultReviewRemindAfter is how long a review nobody answered waits before it is
// reminded (and twice that before it is escalated) when the policy has no escalate_after.
const DefaultReviewRemindAfter = 24 * time.Hour

// reviewsWatched is how many of the newest reviews the sweep looks after.
const reviewsWatched = 10

// ReviewDue is the review sweep: it starts the review the policy's review schedule says is
// due (once per scheduled time, however often it runs, and again reviewRetry after one
// whose list failed), and reminds, then escalates, a review nobody answered.
func (s *Service) ReviewDue(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	if s.Reviews == nil {
		return res, nil
	}
	latest, err := s.Reviews.LatestReviews(ctx, reviewsWatched)
	if err != nil {
		return res, fmt.Errorf("read reviews: %w", err)
	}
	now := s.now()
	if s.scheduledReviewDue(latest, now) {
		if rv, err := s.startReview(ctx, Actor, true); err != nil {
			res.Failed++
			s.log().Error("scheduled access review", "err", err)
		} else {
			res.Done++
			latest = append([]*Review{rv}, latest...)
		}
	}
	for _, rv := range latest {
		switch err := s.chaseReview(ctx, rv, now); {
		case err == errNotDue:
		case err != nil:
			res.Failed++
			s.log().Warn("remind of an access review", "review", rv.ID, "err", err)
		default:
			res.Done++
		}
	}
	return res, nil
}

// scheduledReviewDue reports whether the policy's review schedule has a time due since the
// last scheduled review (or since the database was made), or the last one failed a while
// ago.
func (s *Service) scheduledReviewDue(latest []*Review, now time.Time) bool {
	if s.Policy.Review.Schedule == "" {
		return false
	}
	sched, err := cron.ParseStandard(s.Policy.Review.Schedule)
	if err != nil {
		return false // the parser refuses such a policy
	}
	anchor := s.InstalledAt
	for _, rv := range latest {
		if rv.Scheduled {
			if rv.Failed != "" && !now.Before(rv.StartedAt.Add(reviewRetry)) {
				return true
			}
			anchor = rv.StartedAt
			break
		}
	}
	if anchor.IsZero() {
		return false
	}
	return !sched.Next(anchor.In(s.Policy.Location)).After(now)
}

// reviewRemindAfter is how long a review waits for a first answer before it is reminded.
func (s *Service) reviewRemindAfter() time.Duration {
	if s.Policy.EscalateAfter > 0 {
		return s.Policy.EscalateAfter
	}
	return DefaultReviewRemindAfter
}

// chaseReview reminds the approvers of a review nobody answered once, in its thread, and
// escalates it after twice as long to the policy's escalate_to, who may then answer it.
func (s *Service) chaseReview(ctx context.Context, rv *Review, now time.Time) error {
	after := s.reviewRemindAfter()
	answered := rv.Failed != "" || len(rv.Items) == 0 || rv.Open() < len(rv.Items)
	switch {
	case answered:
		return errNotDue
	case rv.RemindedAt.IsZero() && !now.Before(rv.StartedAt.Add(after)):
		_, err := s.Reviews.UpdateReview(ctx, rv.ID, func(rv *Review) (Change, error) {
			if !rv.RemindedAt.IsZero() || rv.Open() < len(rv.Items) {
				return Change{}, errNotDue
			}
			rv.RemindedAt = now
			return Change{
				Audit: []AuditEvent{{At: now, Actor: Actor, Action: "review_reminded", Detail: "review " + rv.ID}},
				Outbox: []Notification{{Kind: NotifyReviewThread, Review: rv.ID, CreatedAt: now,
					Text: fmt.Sprintf(":bell: %s: this access review has waited since %s, and nobody has decided on any of its %s. Each needs a Keep, a Delete or a Revoke.", mentions(s.Policy.Approvers), rv.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), Plural(len(rv.Items), "item", "items"))}},
			}, nil
		})
		return err
	case !rv.RemindedAt.IsZero() && rv.EscalatedAt.IsZero() && len(s.Policy.EscalateTo) > 0 && !now.Before(rv.StartedAt.Add(2*after)):
		_, err := s.Reviews.UpdateReview(ctx, rv.ID, func(rv *Review) (Change, error) {
			if !rv.EscalatedAt.IsZero() || rv.Open() < len(rv.Items) {
				return Change{}, errNotDue
			}
			rv.EscalatedAt = now
			text := fmt.Sprintf(":rotating_light: Escalated to %s: this access review has waited since %s with nobody deciding on any of its %s. Those it is escalated to may now keep its unmanaged API users; deleting them stays with cakegate's approvers.", mentions(s.Policy.EscalateTo), rv.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), Plural(len(rv.Items), "item", "items"))
			out := []Notification{{Kind: NotifyReviewThread, Review: rv.ID, CreatedAt: now, Text: text}}
			for _, to := range s.Policy.EscalateTo {
				if !isGroup(to) {
					out = append(out, Notification{Kind: NotifyUser, To: to, CreatedAt: now,
						Text: fmt.Sprintf("An access review in <#%s> has waited since %s with nobody answering it, and was escalated to you. Open its thread in that channel to decide.", rv.Channel, rv.StartedAt.UTC().Format("2006-01-02 15:04 UTC"))})
				}
			}
			return Change{
				Audit:  []AuditEvent{{At: now, Actor: Actor, Action: "review_escalated", Detail: "review " + rv.ID + " to " + fmt.Sprint(s.Policy.EscalateTo)}},
				Outbox: out,
			}, nil
		})
		return err
	}
	return errNotDue
}

// mayAnswer refuses whoever may not keep rv's unmanaged API users: any approver, and once
// the review is escalated, those the policy escalates to.
func (s *Service) mayAnswer(ctx context.Context, rv *Review, user string) error {
	err := s.mayReview(ctx, user)
	if err == nil || ErrorCode(err) != CodeNotApprover || rv.EscalatedAt.IsZero() {
		return err
	}
	if ok, lerr := s.inList(ctx, s.Policy.EscalateTo, user); lerr != nil || ok {
		return lerr
	}
	return err
}
