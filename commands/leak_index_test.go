package commands_test

import (
	"context"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// laggingIndex is a store's index of live tokens that this replica has not followed yet:
// a look-up sees what is stored.
type laggingIndex struct {
	stored  map[string]commands.RequestID
	lookups int
}

func (l *laggingIndex) LookupFingerprints(_ context.Context, fps []string) (map[string]commands.RequestID, error) {
	l.lookups++
	out := map[string]commands.RequestID{}
	for _, fp := range fps {
		if id, ok := l.stored[fp]; ok {
			out[fp] = id
		}
	}
	return out, nil
}

func (l *laggingIndex) FollowFingerprints(ctx context.Context, load func(map[string]commands.RequestID), _ func(string, commands.RequestID, bool)) error {
	load(map[string]commands.RequestID{})
	<-ctx.Done()
	return nil
}

// TestFindLeaksAsksTheIndex: a token revealed on another replica that this one's watch has
// not reported yet is found by asking the store; once found, it is known without asking,
// and a message without token-like text asks nothing.
func TestFindLeaksAsksTheIndex(t *testing.T) {
	token := "0123456789abcdefghijklmnopqrstuvwxyzABCD"
	idx := &laggingIndex{stored: map[string]commands.RequestID{commands.Fingerprint(token): 7}}
	svc := &commands.Service{Fingerprints: idx}
	ctx := context.Background()

	got := svc.FindLeaks(ctx, "try this: "+token)
	if len(got) != 1 || got[0].Request != 7 {
		t.Fatalf("FindLeaks found %+v, want R7", got)
	}
	if svc.FindLeaks(ctx, "again "+token); idx.lookups != 1 {
		t.Fatalf("%d look-ups, want 1: a token found once is known", idx.lookups)
	}
	if svc.FindLeaks(ctx, "nothing to see here"); idx.lookups != 1 {
		t.Fatalf("a message without token-like text asked the store")
	}
}
