package bot

import "strings"

// A response_url works as a credential for 30 minutes: whoever holds it can post up to five
// messages as cakegate into the conversation it came from. Errors of calls to it name it
// (net/http's errors quote the URL they failed on), so it is cut out of them before
// anything logs them.

// hideResponseURL returns err with responseURL replaced by "[response_url]" in its text; the
// cause stays reachable through errors.Is and errors.As.
func hideResponseURL(err error, responseURL string) error {
	if err == nil || responseURL == "" || !strings.Contains(err.Error(), responseURL) {
		return err
	}
	return &hiddenURLError{msg: strings.ReplaceAll(err.Error(), responseURL, "[response_url]"), err: err}
}

type hiddenURLError struct {
	msg string
	err error
}

func (e *hiddenURLError) Error() string { return e.msg }
func (e *hiddenURLError) Unwrap() error { return e.err }
