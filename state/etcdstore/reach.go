package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ReachTimeout is how long a command waits for etcd's first answer before it says it
// cannot reach it. The etcd client itself never gives up: it retries until its context
// ends, which without this bound is a command that hangs with nothing said.
const ReachTimeout = 5 * time.Second

// UnreachableError is the error of a command that could not reach etcd: which endpoints it
// tried, what it asked, what each endpoint did, and what to check.
type UnreachableError struct {
	Endpoints []string
	// Tried is what cakegate asked etcd for, in words ("read the store under /cakegate/").
	Tried string
	// Seen is what a plain TCP connection to each endpoint found, one phrase each.
	Seen []string
	Err  error
}

func (e *UnreachableError) Error() string {
	cause := e.Err.Error()
	if errors.Is(e.Err, context.DeadlineExceeded) {
		cause = fmt.Sprintf("no answer within %s", ReachTimeout)
	}
	seen := ""
	if len(e.Seen) > 0 {
		seen = " (" + strings.Join(e.Seen, "; ") + ")"
	}
	return fmt.Sprintf("cannot reach etcd at %s: cakegate tried to %s: %s%s. "+
		"Check CAKEGATE_ETCD_ENDPOINTS (the etcd members' client URLs), the TLS settings "+
		"(CAKEGATE_ETCD_CA, CAKEGATE_ETCD_CERT, CAKEGATE_ETCD_KEY: https endpoints need them, http ones must not have them) "+
		"and the network between cakegate and etcd",
		strings.Join(e.Endpoints, ", "), e.Tried, cause, seen)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Reach asks etcd for the number of keys under cfg's prefix, within ReachTimeout: the first
// thing each command does with a new client, so that an etcd it cannot reach is said at
// once, in plain words, instead of a hang.
func Reach(ctx context.Context, client *clientv3.Client, cfg Config) error {
	prefix := orDefaultPrefix(cfg.Prefix)
	rctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	_, err := client.Get(rctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err() // the caller gave up, not etcd
	}
	if u := unreachable(rctx, cfg.Endpoints, "read the store under "+prefix, err); u != nil {
		return u
	}
	return fmt.Errorf("etcd read under %s: %w", prefix, err)
}

// unreachable turns err, the error of a call made with ctx, into an UnreachableError when
// etcd did not answer before ctx's deadline (the client waits for a connection until
// then, whatever keeps it from one: nothing listening, TLS, the network), and returns nil
// for any other error (etcd answered: a refusal, a permission).
func unreachable(ctx context.Context, endpoints []string, tried string, err error) error {
	if err == nil || (!errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded)) {
		return nil
	}
	return &UnreachableError{Endpoints: endpoints, Tried: tried, Seen: probeTCP(endpoints), Err: context.DeadlineExceeded}
}

// probeTCP says, for each endpoint, what a plain TCP connection to it finds: refused, no
// answer, or accepted (then etcd's protocol, or TLS, is what failed).
func probeTCP(endpoints []string) []string {
	out := make([]string, len(endpoints))
	var wg sync.WaitGroup
	for i, ep := range endpoints {
		wg.Go(func() {
			host := ep
			if u, err := url.Parse(ep); err == nil && u.Host != "" {
				host = u.Host
			}
			c, err := net.DialTimeout("tcp", host, time.Second)
			switch {
			case err == nil:
				c.Close()
				out[i] = host + " accepts connections but did not answer as etcd"
			case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
				out[i] = host + " did not accept a connection within 1s"
			default:
				out[i] = host + ": " + strings.TrimPrefix(err.Error(), "dial tcp "+host+": ")
			}
		})
	}
	wg.Wait()
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// orDefaultPrefix is prefix, or DefaultPrefix when it is empty.
func orDefaultPrefix(prefix string) string {
	if prefix == "" {
		return DefaultPrefix
	}
	return prefix
}
