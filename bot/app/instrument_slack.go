package app

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// slackTransport times the HTTP calls slack-go (and the bot's response_url replies) make,
// and counts their failures: a network error, HTTP 429, HTTP 5xx or 4xx, or an answer
// {"ok":false,"error":"…"}, counted under the error code. It sits below slack-go, so no
// slack-go method set is copied and every call is seen, retries included.
type slackTransport struct {
	next http.RoundTripper
	m    *metrics
	// method names a request's series; it must return few distinct values.
	method func(*http.Request) string
}

// maxSlackPeek bounds the answers read for an ok:false: Slack's errors are a few hundred
// bytes, and a larger answer is not worth holding twice in memory.
const maxSlackPeek = 16 << 10

// RoundTrip implements http.RoundTripper.
func (t *slackTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := t.method(req)
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	t.m.slackCalls.WithLabelValues(method).Observe(time.Since(start).Seconds())
	if err != nil {
		t.m.slackErrors.WithLabelValues(method, "network").Inc()
		return resp, err
	}
	kind := ""
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		kind = "http_429"
	case resp.StatusCode >= 500:
		kind = "http_5xx"
	case resp.StatusCode >= 400:
		kind = "http_4xx"
	default:
		kind = slackErrorCode(resp)
	}
	if kind != "" {
		t.m.slackErrors.WithLabelValues(method, kind).Inc()
	}
	return resp, nil
}

// slackErrorCode reads the error code of a small JSON answer that says ok:false, and puts
// the body back as it was for slack-go to decode. Anything else gives "".
func slackErrorCode(resp *http.Response) string {
	if resp.Body == nil || resp.Body == http.NoBody || resp.ContentLength > maxSlackPeek {
		return ""
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return ""
	}
	peeked, err := io.ReadAll(io.LimitReader(resp.Body, maxSlackPeek+1))
	// The reader sees the same bytes, then the rest (or the read error) from the original.
	resp.Body = peekedBody{io.MultiReader(bytes.NewReader(peeked), resp.Body), resp.Body}
	if err != nil || len(peeked) > maxSlackPeek {
		return ""
	}
	var answer struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(peeked, &answer) != nil || answer.OK == nil || *answer.OK {
		return ""
	}
	return slackLabel(answer.Error, "unknown_error")
}

type peekedBody struct {
	io.Reader
	io.Closer
}

// slackAPIMethod returns the method of a Web API call under apiURL ("" means Slack's own):
// the path after it, such as chat.postMessage.
func slackAPIMethod(apiURL string) func(*http.Request) string {
	prefix := "/api/"
	if u, err := url.Parse(apiURL); err == nil && apiURL != "" {
		prefix = u.Path
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
	}
	return func(req *http.Request) string {
		method, ok := strings.CutPrefix(req.URL.Path, prefix)
		if !ok {
			return "other"
		}
		return slackLabel(method, "other")
	}
}

// slackLabel keeps a method name or error code as a label value if it looks like one
// (letters, digits, dots and underscores, not too long), so nothing odd can add series.
func slackLabel(s, otherwise string) string {
	if s == "" || len(s) > 64 {
		return otherwise
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_') {
			return otherwise
		}
	}
	return s
}

// slackHTTPClient is the client slack-go makes its Web API calls with: the default
// transport, timed.
func (m *metrics) slackHTTPClient(apiURL string) *http.Client {
	return &http.Client{Transport: &slackTransport{next: m.nextTransport(), m: m, method: slackAPIMethod(apiURL)}}
}

// responseURLClient is the client the bot replies to response_url with: the bot's default
// timeout, all calls under one method label, as each URL is different.
func (m *metrics) responseURLClient() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &slackTransport{next: m.nextTransport(), m: m, method: func(*http.Request) string { return "response_url" }},
	}
}

// nextTransport is what the instrumented Slack clients send through: Options.Transport, or
// http.DefaultTransport.
func (m *metrics) nextTransport() http.RoundTripper {
	if m.transport != nil {
		return m.transport
	}
	return http.DefaultTransport
}
