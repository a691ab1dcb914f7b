package datacake

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff returns how long to wait before retry number attempt (1-based) after err.
// A Retry-After from Datacake wins over the computed delay; ok is false when Retry-After
// exceeds MaxRetryAfter, so the caller gets the error rather than a long block.
func (c *Client) backoff(attempt int, err error) (wait time.Duration, ok bool) {
	if after := retryAfter(err); after > 0 {
		return after, after <= MaxRetryAfter
	}
	d := c.baseDelay
	for i := 1; i < attempt && d < c.maxDelay; i++ {
		d *= 2
	}
	d = min(d, c.maxDelay)
	// Jitter spreads out clients that failed together, so they do not retry in lockstep.
	half := d / 2
	return half + rand.N(d-half+1), true
}

// retryAfter returns the Retry-After that came with err, or 0.
func retryAfter(err error) time.Duration {
	var limited *RateLimitedError
	if errors.As(err, &limited) {
		return limited.RetryAfter
	}
	var temp *TemporaryError
	if errors.As(err, &temp) {
		return temp.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. Anything else,
// or a time in the past, is 0.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// Cap before multiplying so a silly value cannot overflow.
		return time.Duration(min(secs, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
