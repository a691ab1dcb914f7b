package datacake

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// DefaultURL is Datacake's GraphQL endpoint. White-label sites and the EU host
// (https://api.datacake.de/graphql/) have their own, hence Options.URL.
const DefaultURL = "https://api.datacake.co/graphql/"

// Defaults for the zero values of Options.
const (
	DefaultTimeout          = 20 * time.Second
	DefaultMaxRPS           = 10
	DefaultMaxConcurrency   = 8
	DefaultMaxRetries       = 4
	DefaultBaseDelay        = 250 * time.Millisecond
	DefaultMaxDelay         = 8 * time.Second
	DefaultMaxResponseBytes = 8 << 20
)

// MaxRetryAfter is the longest Retry-After the client waits out by itself. A longer one is
// returned to the caller as a *RateLimitedError, because blocking a Slack interaction for
// minutes helps nobody.
const MaxRetryAfter = time.Minute

// Options configure a Client. Only Token is required; a zero field takes its default.
type Options struct {
	// URL is the GraphQL endpoint (http or https). Empty means DefaultURL.
	URL string
	// Token authenticates every call (header "Authorization: Token …"). It needs the
	// "members" workspace permission to manage API users. It never appears in errors or logs.
	Token string
	// HTTPClient sends the requests. Nil means a client with no timeout of its own, since
	// Timeout bounds each attempt.
	HTTPClient *http.Client
	// Timeout bounds one HTTP attempt (not the waits for a free slot, the rate limit or a
	// retry; the caller's context bounds those). Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxRPS is the sustained request rate; the bucket holds 2×MaxRPS so short bursts pass.
	// Zero means DefaultMaxRPS. Every attempt, retries included, takes a token.
	MaxRPS float64
	// MaxConcurrency is the number of requests in flight at once. Zero means
	// DefaultMaxConcurrency.
	MaxConcurrency int
	// MaxRetries is how many times a temporary failure is retried. Zero means
	// DefaultMaxRetries; a negative value disables retries.
	MaxRetries int
	// BaseDelay is the first backoff; each retry doubles it up to MaxDelay, and jitter
	// picks a wait between half and all of it. Zero means DefaultBaseDelay / DefaultMaxDelay.
	BaseDelay, MaxDelay time.Duration
	// MaxResponseBytes caps a response body; a longer one is an error. Zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Logger receives one debug line per attempt and a warning per retry. Nil discards.
	Logger *slog.Logger
	// Sleep waits between retries. Nil means a timer that stops early when ctx is done.
	// Tests replace it so that nothing sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
}

// String describes the options without the token, so printing them is safe.
func (o Options) String() string {
	return "datacake.Options{URL: " + o.URL + ", Token: [redacted]}"
}

// GoString hides the token from %#v.
func (o Options) GoString() string { return o.String() }

// LogValue hides the token from log/slog.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", o.URL), slog.String("token", "[redacted]"))
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
