package datacake

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinels for errors.Is. Every error the client returns is one of the types below; these
// say why a *PermanentError happened.
var (
	// ErrUnauthenticated: Datacake rejected the token itself (HTTP 401): it is wrong or revoked.
	ErrUnauthenticated = errors.New("token rejected (HTTP 401)")
	// ErrNotAuthorized: the token is valid but lacks a permission, e.g. "members" in the
	// workspace (errors[].extensions.code NOT_AUTHORIZED).
	ErrNotAuthorized = errors.New("not authorized")
	// ErrNotFound: the workspace or API user does not exist: errors[].extensions.code
	// NOT_FOUND, Django's "<Model> matching query does not exist." without a code, or ok:false
	// to a delete. Callers deleting an API user should still confirm it is gone by listing.
	ErrNotFound = errors.New("not found")
)

// PermanentError is a failure that retrying will not mend: a rejected token, a missing
// permission, an unknown id, an invalid document, an undecodable answer.
type PermanentError struct {
	Op      string // the GraphQL operation name, e.g. "NewApiUser"
	Status  int    // the HTTP status, 0 if there was no response
	Code    string // errors[].extensions.code, if Datacake sent one
	Message string // what went wrong; text from Datacake is shortened and never holds a token
	Err     error  // the cause: a sentinel above, a decoding error, or nil
}

// Error says what failed, with the HTTP status and Datacake's code when there are any.
func (e *PermanentError) Error() string {
	return describe(e.Op, e.Status, e.Code, e.Message, e.Err)
}

// Unwrap returns the cause, so errors.Is(err, ErrNotFound) works.
func (e *PermanentError) Unwrap() error { return e.Err }

// TemporaryError is a failure that may pass: HTTP 5xx, a network error or a timeout. The
// client has already retried it as often as allowed.
type TemporaryError struct {
	Op         string
	Status     int           // the HTTP status, 0 for a network error or timeout
	RetryAfter time.Duration // from a Retry-After header, 0 if none
	Message    string
	Err        error
}

// Error says what failed and how.
func (e *TemporaryError) Error() string {
	return describe(e.Op, e.Status, "", e.Message, e.Err)
}

// Unwrap returns the cause.
func (e *TemporaryError) Unwrap() error { return e.Err }

// RateLimitedError is an HTTP 429 that outlasted the client's retries, or whose
// Retry-After was longer than MaxRetryAfter.
type RateLimitedError struct {
	Op         string
	RetryAfter time.Duration // 0 if Datacake did not say
}

// Error says how long Datacake asked to wait, if it did.
func (e *RateLimitedError) Error() string {
	msg := "rate limited"
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %v", e.RetryAfter)
	}
	return describe(e.Op, 429, "", msg, nil)
}

// UnknownOutcomeError says that creating an API user may or may not have happened: the
// request was sent, then the connection dropped, the attempt timed out, Datacake answered
// 5xx, or the answer could not be read. The client does not repeat the create (that could
// leave two API users); it lists the workspace's API users instead and reports those with
// the requested name in Found. Their tokens cannot be recovered, so the caller should
// delete them and create afresh.
//
// IsTemporary reports false for it even when its cause was temporary, because the create
// must not simply be repeated.
type UnknownOutcomeError struct {
	Workspace string
	Name      string
	Found     []APIUser // API users named Name in Workspace after the failure
	Err       error     // why the outcome is unknown
	LookupErr error     // why the look-up failed, if it did; Found is then empty
}

// Error says why the outcome is unknown and what the look-up found.
func (e *UnknownOutcomeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "datacake: creating API user %q in workspace %s may or may not have happened: %v; ", e.Name, e.Workspace, e.Err)
	if e.LookupErr != nil {
		fmt.Fprintf(&b, "looking it up failed too: %v", e.LookupErr)
	} else {
		fmt.Fprintf(&b, "found %d API user(s) with that name", len(e.Found))
	}
	return b.String()
}

// Unwrap returns why the outcome is unknown.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// IsTemporary reports whether err may pass if the same call is made again later:
// a *TemporaryError or a *RateLimitedError, but not an *UnknownOutcomeError.
func IsTemporary(err error) bool {
	var unknown *UnknownOutcomeError
	if errors.As(err, &unknown) {
		return false
	}
	var temp *TemporaryError
	var limited *RateLimitedError
	return errors.As(err, &temp) || errors.As(err, &limited)
}

// describe formats an error as "datacake Op: HTTP 503: CODE: message: cause".
func describe(op string, status int, code, msg string, cause error) string {
	parts := []string{"datacake " + op}
	if status != 0 && status != 200 {
		parts = append(parts, fmt.Sprintf("HTTP %d", status))
	}
	if code != "" {
		parts = append(parts, code)
	}
	if msg != "" {
		parts = append(parts, msg)
	}
	if cause != nil {
		parts = append(parts, cause.Error())
	}
	return strings.Join(parts, ": ")
}
