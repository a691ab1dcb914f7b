package datacake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Client calls Datacake's GraphQL API. It is safe for concurrent use; the limits in its
// Options hold across all goroutines sharing it.
type Client struct {
	url        string
	token      string
	http       *http.Client
	timeout    time.Duration
	limiter    *rate.Limiter
	slots      chan struct{} // a semaphore: one element per request in flight
	maxRetries int
	baseDelay  time.Duration
	maxDelay   time.Duration
	maxBody    int64
	log        *slog.Logger
	sleep      func(context.Context, time.Duration) error
}

// New returns a Client for opts after checking them. The error names the bad option but
// never quotes the token.
func New(opts Options) (*Client, error) {
	if opts.URL == "" {
		opts.URL = DefaultURL
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("datacake: parse URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("datacake: URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("datacake: URL %q has no host", u.Redacted())
	}
	if u.User != nil {
		// Credentials belong in Token; a URL is logged and quoted in errors.
		return nil, fmt.Errorf("datacake: URL %q must not carry credentials", u.Redacted())
	}
	if opts.Token == "" {
		return nil, errors.New("datacake: token is empty")
	}
	if strings.ContainsFunc(opts.Token, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		// It would break the Authorization header; likely a trailing newline from a file.
		return nil, errors.New("datacake: token contains control characters (a trailing newline?)")
	}
	c := &Client{
		url:        u.String(),
		token:      opts.Token,
		http:       opts.HTTPClient,
		timeout:    orDefault(opts.Timeout, DefaultTimeout),
		maxRetries: opts.MaxRetries,
		baseDelay:  orDefault(opts.BaseDelay, DefaultBaseDelay),
		maxDelay:   orDefault(opts.MaxDelay, DefaultMaxDelay),
		maxBody:    orDefault(opts.MaxResponseBytes, DefaultMaxResponseBytes),
		log:        opts.Logger,
		sleep:      opts.Sleep,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	switch {
	case opts.MaxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case opts.MaxRetries < 0:
		c.maxRetries = 0
	}
	if c.timeout < 0 || c.baseDelay < 0 || c.maxDelay < 0 || c.maxBody < 0 {
		return nil, errors.New("datacake: Timeout, BaseDelay, MaxDelay and MaxResponseBytes must not be negative")
	}
	rps := orDefault(opts.MaxRPS, DefaultMaxRPS)
	if rps < 0 || math.IsNaN(rps) {
		return nil, fmt.Errorf("datacake: MaxRPS %v must be positive", opts.MaxRPS)
	}
	c.limiter = rate.NewLimiter(rate.Limit(rps), max(1, int(math.Ceil(2*rps))))
	conc := orDefault(opts.MaxConcurrency, DefaultMaxConcurrency)
	if conc < 0 {
		return nil, fmt.Errorf("datacake: MaxConcurrency %d must be positive", opts.MaxConcurrency)
	}
	c.slots = make(chan struct{}, conc)
	return c, nil
}

// String names the endpoint and hides the token, so printing a Client is safe.
func (c *Client) String() string { return "datacake.Client(" + c.url + ")" }

// GoString hides the token from %#v.
func (c *Client) GoString() string { return c.String() }

// redact removes the client's token from text that came from elsewhere (a server's error
// message), in case a server ever echoes it.
func (c *Client) redact(s string) string {
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
