package commands

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// StartReview runs an access review on demand (/cakegate review): it lists every API user
// of the workspace, classes each, and posts the review in the review channel. Any approver
// may start one. A review whose list failed is posted too, saying so: it classes and deletes
// nothing.
func (s *Service) StartReview(ctx context.Context, user string) (*Review, error) {
	if err := s.mayReview(ctx, user); err != nil {
		return nil, err
	}
	return s.startReview(ctx, user, false)
}

// mayReview refuses whoever approves nothing: the policy's approvers and every role's may
// review.
func (s *Service) mayReview(ctx context.Context, user string) error {
	if ok, err := s.inList(ctx, s.Policy.Approvers, user); err != nil || ok {
		return err
	}
	for _, name := range s.Policy.RoleOrder {
		if ok, err := s.isApprover(ctx, user, s.Policy.Roles[name]); err != nil || ok {
			return err
		}
	}
	return Errorf(CodeNotApprover, "only cakegate's approvers can run an access review. Ask one of them (%s).", mentions(s.Policy.Approvers))
}

// startReview lists, classes, and stores the review with its notification, so the outbox
// posts it.
func (s *Service) startReview(ctx context.Context, by string, scheduled bool) (*Review, error) {
	if s.Reviews == nil {
		return nil, Errorf(CodeUnavailable, "this cakegate has nowhere to keep access reviews; an operator must check its store.")
	}
	now := s.now()
	rv := &Review{ID: newReviewID(now), StartedAt: now, StartedBy: by, Channel: s.Policy.ReviewChannel(), GrantsOlderThan: s.Policy.grantsOlderThan(), Scheduled: scheduled}
	detail := ""
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, "")
	var items []ReviewItem
	if err == nil {
		items, err = s.inventory(ctx, users)
	}
	if err != nil {
		s.log().Warn("access review: list API users", "review", rv.ID, "err", err)
		rv.Failed = "cakegate could not get the full list of the workspace's API users from Datacake just now"
		detail = "failed: " + err.Error()
	} else {
		for _, it := range items {
			switch it.Class {
			case ClassGrant:
				rv.Counts.Grants++
			case ClassAdopted:
				rv.Counts.Adopted++
			case ClassUnmanaged:
				rv.Counts.Unmanaged++
			}
		}
		rv.Items = reviewItems(items, now, rv.GrantsOlderThan)
		detail = fmt.Sprintf("%s: %s, %d adopted, %d unmanaged; %d to decide", Plural(len(items), "API user", "API users"), Plural(rv.Counts.Grants, "grant", "grants"), rv.Counts.Adopted, rv.Counts.Unmanaged, len(rv.Items))
	}
	c := Change{
		Audit:  []AuditEvent{{At: now, Actor: by, Action: "review_started", Detail: "review " + rv.ID + ": " + detail}},
		Outbox: []Notification{{Kind: NotifyReview, Review: rv.ID, CreatedAt: now}},
	}
	if err := s.Reviews.CreateReview(ctx, rv, c); err != nil {
		return nil, fmt.Errorf("store review: %w", err)
	}
	return rv, nil
}

// newReviewID names a review by when it started, with a random tail so two started in the
// same second differ.
func newReviewID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return "rv-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// reviewItems picks what a review asks about: every unmanaged API user, oldest first, then
// the grants at least olderThan old, oldest first.
func reviewItems(all []ReviewItem, now time.Time, olderThan time.Duration) []ReviewItem {
	var unmanaged, grants []ReviewItem
	for _, it := range all {
		switch {
		case it.Class == ClassUnmanaged:
			unmanaged = append(unmanaged, it)
		case it.Class != ClassUnmanaged && !it.Created.IsZero() && now.Sub(it.Created) >= olderThan:
			grants = append(grants, it)
		}
	}
	slices.SortStableFunc(unmanaged, func(a, b ReviewItem) int { return a.Created.Compare(b.Created) })
	slices.SortStableFunc(grants, func(a, b ReviewItem) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Request, b.Request))
	})
	return append(unmanaged, grants...)
}

// inventory classes every API user listed: a grant of this database, an
// adopted one, or unmanaged, with who made an unmanaged one. A request that could not be
// read fails it whole, so nothing is classed on a guess.
func (s *Service) inventory(ctx context.Context, users []APIUser) ([]ReviewItem, error) {
	held, err := s.holders(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewItem, 0, len(users))
	for _, u := range users {
		it := ReviewItem{APIUserID: u.ID, Name: u.Name, Created: u.Created, Permissions: slices.Clone(u.Permissions), Devices: u.Devices, Class: ClassUnmanaged}
		if r := held[u.ID]; r != nil {
			it.Class, it.Request, it.Owner, it.Role = ClassGrant, r.ID, r.Requester, r.Role
			it.Created, it.Ends = r.Grant.CreatedAt, r.Grant.ExpiresAt
			if r.Adopted != nil {
				it.Class, it.Origin = ClassAdopted, r.Adopted.Origin
			}
			out = append(out, it)
			continue
		}
		origin, named := ParseAPIUserName(u.Name)
		own := named && s.Installation != "" && origin.Installation == s.Installation
		switch {
		case !named:
			it.Origin = "made by hand in the Datacake portal, or by another program"
		case !own && origin.Installation != "":
			it.Origin = "made by another cakegate installation (" + origin.Installation + ")"
		default:
			r, err := s.Store.Get(ctx, origin.Request)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("read %s: %w", origin.Request, err)
			}
			switch {
			case r != nil && r.State == StateProvisioning && r.Grant == nil:
				it.Class, it.Request, it.Owner, it.Role = ClassGrant, r.ID, r.Requester, r.Role // being made now
			case !own:
				it.Origin = "made by a cakegate from before installation ids"
			case r != nil:
				it.Origin = fmt.Sprintf("made by this cakegate for %s, which is %s and no longer owns it", r.ID, r.State)
			default:
				it.Origin = fmt.Sprintf("made by this cakegate for %s, which this database has no record of", origin.Request)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// describeItem names a review item for people and the audit log.
func describeItem(it ReviewItem) string {
	what := fmt.Sprintf("API user %s (%s)", Escape(it.Name), Escape(it.APIUserID))
	if it.Class != ClassUnmanaged {
		what = it.Request.String() + "'s " + what
	}
	return what
}
