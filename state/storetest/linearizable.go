package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/cakegate/cakegate/commands"
)

// The linearizability check: clients on several replicas read, write and compare-and-set
// one request's Reason as a register, their calls and returns are recorded, and porcupine
// searches for an order of the operations that a single register would have produced
// and that respects real time. The model is the one the use cases rely on: Update's fn
// sees the value as it is, so a check in fn is a compare-and-set.

// regOp is one operation on the register: read, write v, or cas from → v.
type regOp struct {
	kind     string // "read", "write", "cas"
	from, to int
}

// regResult is what the operation saw: the value read (read, cas) and whether it
// succeeded (cas).
type regResult struct {
	value int
	ok    bool
}

var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(int), input.(regOp), output.(regResult)
		switch in.kind {
		case "read":
			return out.value == st, st
		case "write":
			return true, in.to
		default: // cas
			if out.ok {
				return st == in.from, in.to
			}
			return st != in.from && out.value == st, st
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regOp), output.(regResult)
		return fmt.Sprintf("%s(%d→%d) = %d, %v", in.kind, in.from, in.to, out.value, out.ok)
	},
}

// linearizableClients and linearizableOps size the history: large enough for real
// overlap, small enough for porcupine to check in well under a second.
const (
	linearizableClients = 8
	linearizableOps     = 25
)

func testLinearizable(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Open(t)
	r := NewRequest("U1")
	r.Reason = "0"
	id := MustCreate(t, s, r)
	stores := handles(t, h, s, 4)
	errMismatch := errors.New("cas: value differs")

	start := time.Now()
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		wg      sync.WaitGroup
	)
	for c := range linearizableClients {
		wg.Go(func() {
			st := stores[c%len(stores)]
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			for i := range linearizableOps {
				op := regOp{kind: []string{"read", "write", "cas"}[rng.IntN(3)], from: rng.IntN(4), to: 1 + c*1000 + i}
				call := time.Since(start).Nanoseconds()
				var res regResult
				var err error
				switch op.kind {
				case "read":
					var got *commands.Request
					if got, err = st.Get(ctx, id); err == nil {
						res.value, err = strconv.Atoi(got.Reason)
					}
				default:
					_, err = st.Update(ctx, id, func(r *commands.Request) (commands.Change, error) {
						v, err := strconv.Atoi(r.Reason)
						if err != nil {
							return commands.Change{}, err
						}
						res.value = v
						if op.kind == "cas" && v != op.from {
							return commands.Change{}, errMismatch
						}
						r.Reason = strconv.Itoa(op.to)
						return commands.Change{Audit: []commands.AuditEvent{{Action: op.kind}}}, nil
					})
					res.ok = err == nil
					if errors.Is(err, errMismatch) {
						err = nil
					}
				}
				ret := time.Since(start).Nanoseconds()
				if err != nil {
					t.Errorf("client %d: %s: %v", c, op.kind, err)
					return
				}
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: c, Input: op, Output: res, Call: call, Return: ret})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	switch result := porcupine.CheckOperationsTimeout(registerModel, history, 30*time.Second); result {
	case porcupine.Ok:
	case porcupine.Unknown:
		t.Fatalf("porcupine could not decide within its timeout on %d operations", len(history))
	default:
		t.Fatalf("the history of %d operations is not linearizable", len(history))
	}
	// The register's writes are in the audit log as one chain.
	if broken, err := s.VerifyAudit(ctx); broken != 0 || err != nil {
		t.Fatalf("VerifyAudit: broken at %d: %v", broken, err)
	}
}
