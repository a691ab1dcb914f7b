package datacake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// maxErrorBody is how much of a failed response is read for its message; the rest of an
// error page is of no use.
const maxErrorBody = 4 << 10

// maxMessage is how much of Datacake's own text goes into an error.
const maxMessage = 200

// errTooLarge reports a response body over the limit.
var errTooLarge = errors.New("response body too large")

// envelope is a GraphQL response: data, errors, or both.
type envelope struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// interpret turns an HTTP response into nil (data decoded into out) or a typed error, and
// says whether Datacake may have carried the operation out.
func (c *Client) interpret(op Operation, resp *http.Response, out any) (maybeApplied bool, err error) {
	status := resp.StatusCode
	switch {
	case status == http.StatusUnauthorized:
		return false, &PermanentError{Op: op.Name, Status: status, Err: ErrUnauthenticated}
	case status == http.StatusTooManyRequests:
		return false, &RateLimitedError{Op: op.Name, RetryAfter: parseRetryAfter(resp.Header, time.Now())}
	case status == http.StatusRequestTimeout:
		return false, &TemporaryError{Op: op.Name, Status: status, Message: c.errorText(resp.Body)}
	case status >= 500:
		// The server may have failed after committing, so this counts as maybe applied.
		return true, &TemporaryError{Op: op.Name, Status: status,
			RetryAfter: parseRetryAfter(resp.Header, time.Now()), Message: c.errorText(resp.Body)}
	case status == http.StatusForbidden:
		return false, &PermanentError{Op: op.Name, Status: status, Message: c.errorText(resp.Body), Err: ErrNotAuthorized}
	case status < 200 || status > 299:
		// Deliberately not ErrNotFound for a 404: that would be the wrong URL, and a caller
		// deleting an API user would take it for "already gone".
		return false, &PermanentError{Op: op.Name, Status: status, Message: c.errorText(resp.Body)}
	}

	// From here on the request was accepted, so a failure leaves the outcome open. The body
	// of a successful answer is never quoted: it may hold a new API user's token.
	body, err := readLimited(resp.Body, c.maxBody)
	if errors.Is(err, errTooLarge) {
		return true, &PermanentError{Op: op.Name, Status: status, Message: fmt.Sprintf("response over %d bytes", c.maxBody), Err: errTooLarge}
	}
	if err != nil {
		return true, &TemporaryError{Op: op.Name, Status: status, Message: "read response", Err: err}
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return true, &PermanentError{Op: op.Name, Status: status, Message: "malformed response", Err: scrubJSONError(err)}
	}
	hasData := len(env.Data) > 0 && !bytes.Equal(env.Data, []byte("null"))
	if len(env.Errors) > 0 {
		return hasData, c.graphQLError(op, status, env.Errors)
	}
	if !hasData {
		return true, &PermanentError{Op: op.Name, Status: status, Message: "response has neither data nor errors"}
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return true, &PermanentError{Op: op.Name, Status: status, Message: "unexpected response shape", Err: scrubJSONError(err)}
	}
	return false, nil
}

// graphQLError maps a response's errors to a PermanentError, by the first error with a code
// the client knows, else the first error.
func (c *Client) graphQLError(op Operation, status int, errs []gqlError) error {
	pick, cause := errs[0], error(nil)
	for _, e := range errs {
		if cause = codeError(e.Extensions.Code); cause != nil {
			pick = e
			break
		}
	}
	if cause == nil {
		for _, e := range errs {
			if e.Extensions.Code == "" && isDoesNotExist(e.Message) {
				pick, cause = e, ErrNotFound
				break
			}
		}
	}
	return &PermanentError{
		Op:      op.Name,
		Status:  status,
		Code:    c.clean(pick.Extensions.Code, 40),
		Message: c.clean(pick.Message, maxMessage),
		Err:     cause,
	}
}

// codeError returns the sentinel for an errors[].extensions.code, or nil.
func codeError(code string) error {
	switch strings.ToUpper(code) {
	case "NOT_AUTHORIZED", "FORBIDDEN", "PERMISSION_DENIED":
		return ErrNotAuthorized
	case "NOT_FOUND", "DOES_NOT_EXIST":
		return ErrNotFound
	}
	return nil
}

// isDoesNotExist reports whether msg is Django's answer for an object looked up by an id it
// does not know ("User matching query does not exist."). Datacake runs on Django and
// graphene, and sends it with no extensions.code, so the text is all there is to go by.
func isDoesNotExist(msg string) bool {
	return strings.HasSuffix(strings.TrimSpace(msg), " matching query does not exist.")
}

// errorText returns the start of a failed response's body, made safe to quote.
func (c *Client) errorText(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	var env envelope
	if json.Unmarshal(b, &env) == nil && len(env.Errors) > 0 {
		return c.clean(env.Errors[0].Message, maxMessage)
	}
	return c.clean(string(b), maxMessage)
}

// clean shortens text from Datacake, keeps it on one printable line and removes the token.
func (c *Client) clean(s string, limit int) string {
	s = c.redact(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return s
}

// readLimited reads all of r up to limit bytes; more is errTooLarge.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// scrubJSONError keeps the kind of a decoding error but not the offending value, which a
// *json.SyntaxError or *json.UnmarshalTypeError never quotes anyway; other decoding errors
// (from UnmarshalJSON methods) could, so they are replaced.
func scrubJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) {
		return err
	}
	return errors.New("invalid JSON value")
}
