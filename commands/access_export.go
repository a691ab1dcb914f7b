package commands

import (
	"context"
	"fmt"
	"time"
)

// AccessEntry is one API user of the workspace as an auditor sees it: what it may do, whose
// it is, who approved it and when, when it ends, and the last review decision on it. It
// never holds a token.
type AccessEntry struct {
	APIUserID            string       `json:"api_user_id"`
	Name                 string       `json:"name"`
	Class                APIUserClass `json:"class"`
	Created              time.Time    `json:"created,omitzero"`
	WorkspacePermissions []string     `json:"workspace_permissions"`
	Devices              int          `json:"devices"`
	Origin               string       `json:"origin,omitempty"`
	Request              string       `json:"request,omitempty"`
	Role                 string       `json:"role,omitempty"`
	Owner                string       `json:"owner,omitempty"`
	ApprovedBy           []string     `json:"approved_by,omitempty"`
	ApprovedAt           time.Time    `json:"approved_at,omitzero"`
	Ends                 time.Time    `json:"ends,omitzero"`
	LastReview           string       `json:"last_review,omitempty"` // the decision
	LastReviewBy         string       `json:"last_review_by,omitempty"`
	LastReviewAt         time.Time    `json:"last_review_at,omitzero"`
}

// reviewsExported is how many of the newest reviews the export searches for each API user's
// last decision.
const reviewsExported = 100

// AccessInventory lists every API user of the workspace, classed, for an export. Datacake
// unreachable, or a partial list, is an error: an auditor must not take a part for the whole.
func (s *Service) AccessInventory(ctx context.Context) ([]AccessEntry, error) {
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, "")
	if err != nil {
		return nil, fmt.Errorf("list the workspace's API users in Datacake: %w", err)
	}
	items, err := s.inventory(ctx, users)
	if err != nil {
		return nil, err
	}
	var reviews []*Review
	if s.Reviews != nil {
		if reviews, err = s.Reviews.LatestReviews(ctx, reviewsExported); err != nil {
			return nil, fmt.Errorf("read reviews: %w", err)
		}
	}
	out := make([]AccessEntry, 0, len(items))
	for _, it := range items {
		e := AccessEntry{
			APIUserID: it.APIUserID, Name: it.Name, Class: it.Class, Created: it.Created,
			WorkspacePermissions: append([]string{}, it.Permissions...), Devices: it.Devices, Origin: it.Origin,
			Role: it.Role, Owner: it.Owner, Ends: it.Ends,
		}
		if it.Request != 0 {
			e.Request = it.Request.String()
			if r, err := s.Store.Get(ctx, it.Request); err == nil {
				e.ApprovedBy, e.ApprovedAt = approvedBy(r)
			}
		}
		if last, ok := lastDecision(reviews, it.APIUserID); ok {
			e.LastReview, e.LastReviewBy, e.LastReviewAt = string(last.Decision), last.DecidedBy, last.DecidedAt
		}
		out = append(out, e)
	}
	return out, nil
}

// approvedBy says who approved r and when: its approvers and the last approval, or who
// decided (cakegate, for an auto-approved role).
func approvedBy(r *Request) ([]string, time.Time) {
	if len(r.Approvals) == 0 {
		if r.DecidedBy == "" {
			return nil, time.Time{}
		}
		return []string{r.DecidedBy}, r.DecidedAt
	}
	var who []string
	var at time.Time
	for _, a := range r.Approvals {
		who = append(who, a.User)
		if a.At.After(at) {
			at = a.At
		}
	}
	return who, at
}

// lastDecision finds the newest decision on API user id among reviews, newest first.
func lastDecision(reviews []*Review, id string) (ReviewItem, bool) {
	for _, rv := range reviews {
		for _, it := range rv.Items {
			if it.APIUserID == id && it.Decision != "" {
				return it, true
			}
		}
	}
	return ReviewItem{}, false
}
