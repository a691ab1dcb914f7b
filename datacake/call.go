package datacake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// gqlRequest is the JSON body of a GraphQL POST.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables,omitempty"`
}

// do sends op, retrying temporary failures, and decodes the answer's data into out.
// On error, maybeApplied reports whether Datacake may have carried op out, which only
// matters for an operation that is not repeatable: such an operation is retried only after
// failures that prove it was not applied (429, or no request sent).
func (c *Client) do(ctx context.Context, op Operation, vars map[string]any, out any) (maybeApplied bool, err error) {
	body, err := json.Marshal(gqlRequest{Query: op.Document, OperationName: op.Name, Variables: vars})
	if err != nil {
		return false, &PermanentError{Op: op.Name, Message: "encode request", Err: err}
	}
	for attempt := 1; ; attempt++ {
		maybeApplied, err = c.attempt(ctx, op, attempt, body, out)
		if err == nil {
			return false, nil
		}
		if !IsTemporary(err) || (maybeApplied && !op.repeatable) || attempt > c.maxRetries {
			return maybeApplied, err
		}
		wait, ok := c.backoff(attempt, err)
		if !ok {
			return maybeApplied, err
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "datacake call failed; retrying",
			slog.String("op", op.Name), slog.Int("attempt", attempt),
			slog.Duration("wait", wait), slog.String("error", err.Error()))
		if serr := c.sleep(ctx, wait); serr != nil {
			return false, fmt.Errorf("datacake %s: gave up waiting to retry: %w (last failure: %v)", op.Name, serr, err)
		}
	}
}

// attempt makes one HTTP request within the concurrency and rate limits and the per-attempt
// timeout.
func (c *Client) attempt(ctx context.Context, op Operation, n int, body []byte, out any) (maybeApplied bool, err error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return false, fmt.Errorf("datacake %s: wait for a free request slot: %w", op.Name, ctx.Err())
	}
	defer func() { <-c.slots }()
	if err := c.limiter.Wait(ctx); err != nil {
		return false, fmt.Errorf("datacake %s: wait for the request rate limit: %w", op.Name, err)
	}

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	// Once the request has been written, the server may act on it whatever happens next.
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return false, &PermanentError{Op: op.Name, Message: "build request", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cakegate")
	req.Header.Set("Authorization", "Token "+c.token)

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelDebug, "datacake call",
			slog.String("op", op.Name), slog.Int("attempt", n),
			slog.Duration("took", time.Since(start)), slog.String("error", err.Error()))
		if ctx.Err() != nil {
			return wrote.Load(), fmt.Errorf("datacake %s: %w", op.Name, ctx.Err())
		}
		msg := "network error"
		if actx.Err() != nil {
			msg = fmt.Sprintf("no answer within %v", c.timeout)
		}
		return wrote.Load(), &TemporaryError{Op: op.Name, Message: msg, Err: err}
	}
	defer resp.Body.Close()
	maybeApplied, err = c.interpret(op, resp, out)
	c.log.LogAttrs(ctx, slog.LevelDebug, "datacake call",
		slog.String("op", op.Name), slog.Int("attempt", n), slog.Int("status", resp.StatusCode),
		slog.Duration("took", time.Since(start)), slog.Bool("ok", err == nil))
	if err != nil && ctx.Err() != nil {
		return maybeApplied, fmt.Errorf("datacake %s: %w", op.Name, ctx.Err())
	}
	return maybeApplied, err
}
