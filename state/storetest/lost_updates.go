package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/cakegate/cakegate/commands"
)

// The lost-update check. The other concurrency cases write an audit event or a
// notification with every change, and those take the guard on the store's shared head: a
// store that forgot to guard the request itself would still pass them. Here clients on
// several replicas increment counters kept in requests with Updates that write nothing
// else, and read them; porcupine checks that the history is one a set of counters would
// have produced in real-time order. A lost update (two increments that both saw 5 and both
// wrote 6) has no such order.

// counterOp is one operation on request req's counter: read it, or increment it.
type counterOp struct {
	req commands.RequestID
	inc bool
}

// counterModel is a counter per request: an increment saw the value before it, and
// left one more; a read saw the value.
var counterModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byReq := map[commands.RequestID][]porcupine.Operation{}
		for _, op := range history {
			id := op.Input.(counterOp).req
			byReq[id] = append(byReq[id], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byReq {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		st, in, saw := state.(int), input.(counterOp), output.(int)
		if saw != st {
			return false, st
		}
		if in.inc {
			return true, st + 1
		}
		return true, st
	},
	DescribeOperation: func(input, output any) string {
		in := input.(counterOp)
		if in.inc {
			return fmt.Sprintf("%s: increment from %d", in.req, output)
		}
		return fmt.Sprintf("%s: read %d", in.req, output)
	},
}

// lostUpdateClients and lostUpdateOps size the history: each client runs its operations
// on a replica of its own (replicas of them), so the stores' compare-and-set is what keeps
// the increments apart, not a lock inside one process.
const (
	lostUpdateClients = 10
	lostUpdateOps     = 20
)

func testNoLostUpdates(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	var ids []commands.RequestID
	for range 2 {
		r := NewRequest("U1")
		r.Reason = "0"
		ids = append(ids, MustCreate(t, s, r))
	}
	stores := handles(t, h, s, replicas)
	start := time.Now()
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		wg      sync.WaitGroup
		incs    = map[commands.RequestID]int{}
		begin   = make(chan struct{})
	)
	for c := range lostUpdateClients {
		wg.Go(func() {
			st := stores[c%len(stores)]
			rng := rand.New(rand.NewPCG(uint64(c), 23))
			<-begin
			for range lostUpdateOps {
				// Mostly increments: they are what can be lost.
				op := counterOp{req: ids[rng.IntN(len(ids))], inc: rng.IntN(4) != 0}
				call := time.Since(start).Nanoseconds()
				saw, err := counterStep(ctx, st, op)
				ret := time.Since(start).Nanoseconds()
				if err != nil {
					t.Errorf("client %d: %v", c, err)
					return
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: c, Input: op, Output: saw, Call: call, Return: ret})
				if op.inc {
					incs[op.req]++
				}
				mu.Unlock()
			}
		})
	}
	close(begin)
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, id := range ids {
		got, err := strconv.Atoi(MustGet(t, s, id).Reason)
		if err != nil || got != incs[id] {
			t.Errorf("%s counts %d (%v) after %d increments: %d lost", id, got, err, incs[id], incs[id]-got)
		}
	}
	switch porcupine.CheckOperationsTimeout(counterModel, history, 30*time.Second) {
	case porcupine.Ok:
	case porcupine.Unknown:
		t.Fatalf("porcupine could not decide within its timeout on %d operations", len(history))
	default:
		t.Fatalf("the history of %d reads and increments is not one of counters: an update was lost", len(history))
	}
}

// counterStep runs op on st and returns the value it saw. An increment writes the request
// and nothing else: no audit event, no notification.
func counterStep(ctx context.Context, st Store, op counterOp) (int, error) {
	if !op.inc {
		r, err := st.Get(ctx, op.req)
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(r.Reason)
	}
	var saw int
	_, err := st.Update(ctx, op.req, func(r *commands.Request) (commands.Change, error) {
		v, err := strconv.Atoi(r.Reason)
		if err != nil {
			return commands.Change{}, err
		}
		saw = v // the last run of fn is the one that counts
		r.Reason = strconv.Itoa(v + 1)
		return commands.Change{}, nil
	})
	return saw, err
}
