package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// memReviews is a ReviewStore in memory that, as the real ones, refuses a write once its
// context has ended.
type memReviews struct {
	mu sync.Mutex
	rv map[string]*commands.Review
}

func (m *memReviews) CreateReview(ctx context.Context, rv *commands.Review, _ commands.Change) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	c := *rv
	c.Items = append([]commands.ReviewItem(nil), rv.Items...)
	m.rv[rv.ID] = &c
	return nil
}

func (m *memReviews) UpdateReview(ctx context.Context, id string, fn func(*commands.Review) (commands.Change, error)) (*commands.Review, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	old, ok := m.rv[id]
	if !ok {
		return nil, commands.ErrReviewNotFound
	}
	c := *old
	c.Items = append([]commands.ReviewItem(nil), old.Items...)
	if _, err := fn(&c); err != nil {
		return nil, err
	}
	m.rv[id] = &c
	return &c, nil
}

func (m *memReviews) GetReview(ctx context.Context, id string) (*commands.Review, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rv, ok := m.rv[id]
	if !ok {
		return nil, commands.ErrReviewNotFound
	}
	c := *rv
	c.Items = append([]commands.ReviewItem(nil), rv.Items...)
	return &c, nil
}

func (m *memReviews) LatestReviews(context.Context, int) ([]*commands.Review, error) {
	return nil, errors.New("memReviews keeps no order")
}

// createEndsTheClick is a store whose Create ends the click's context and fails, as Slack's
// 2.5 s for a form running out while the record is written does.
type createEndsTheClick struct {
	commands.Store
	cancel context.CancelFunc
}

func (s *createEndsTheClick) Create(ctx context.Context, r *commands.Request, c commands.Change, rules commands.CreateRules) error {
	s.cancel()
	return context.Canceled
}

// TestFailedAdoptionFreesTheReviewItem: the item is marked adopted before the record is
// written; when the write fails because the form's time ran out, the mark is taken back
// all the same, so the item can be decided again rather than saying "adopted" with no
// record behind it.
func TestFailedAdoptionFreesTheReviewItem(t *testing.T) {
	e := newEnv(t)
	id := e.datacake.AddUser("legacy-export", start.Add(-24*time.Hour))
	reviews := &memReviews{rv: map[string]*commands.Review{}}
	e.svc.Reviews = reviews
	rv := &commands.Review{ID: "rv-1", StartedAt: start, StartedBy: ann,
		Items: []commands.ReviewItem{{APIUserID: id, Name: "legacy-export", Class: commands.ClassUnmanaged}}}
	if err := reviews.CreateReview(context.Background(), rv, commands.Change{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.svc.Store = &createEndsTheClick{Store: e.store, cancel: cancel}
	_, err := e.svc.Adopt(ctx, commands.AdoptInput{Review: "rv-1", Index: 0, APIUserID: id, Owner: carol, By: ann, For: 7 * 24 * time.Hour})
	if err == nil {
		t.Fatal("the adoption succeeded although its record could not be written")
	}
	got, _ := reviews.GetReview(context.Background(), "rv-1")
	if d := got.Items[0].Decision; d != "" {
		t.Fatalf("the item says %q after the adoption failed, want it undecided", d)
	}
}
