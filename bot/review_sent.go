package bot

import (
	"strconv"
	"sync"
)

// reviewSent remembers a digest of what each message of a review last said, as this process
// sent it, so that a decision updates the messages whose text changed (the head, with its
// counts, and the part holding the item) rather than every part of a long review: chat.update
// allows about 50 calls a minute, and a review of 200 API users is ten messages. A restart
// forgets it, and the next decision updates every part once. Renders only move forward (each
// is of the stored review, decisions included), so a part another replica changed meanwhile
// never renders as this process last sent it.
type reviewSent struct {
	mu   sync.Mutex
	sent map[string]string // review id and part index → digest
}

// reviewSentMax bounds the memory: reviews are few, and forgetting costs one update each.
const reviewSentMax = 10_000

func reviewPartKey(id string, i int) string { return id + "#" + strconv.Itoa(i) }

// digest is what part says, as Slack is sent it.
func (p reviewPart) digest() string {
	return digest(struct {
		Fallback string
		Blocks   any
	}{p.fallback, p.blocks})
}

// same reports whether part i of review id was last sent saying d.
func (r *reviewSent) same(id string, i int, d string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return d != "" && r.sent[reviewPartKey(id, i)] == d
}

// record notes that part i of review id was sent saying d.
func (r *reviewSent) record(id string, i int, d string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sent == nil || len(r.sent) >= reviewSentMax {
		r.sent = map[string]string{}
	}
	r.sent[reviewPartKey(id, i)] = d
}
