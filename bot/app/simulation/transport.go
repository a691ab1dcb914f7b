package simulation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"time"
)

// transport carries every call cakegate makes. It names each call ("datacake.NewApiUser",
// "slack.chat.postMessage", "slack.response_url"), asks the fault model what happens to it,
// and is where a crash takes effect: from the crash on, nothing cakegate sends arrives.
type transport struct {
	w     *World
	node  *node // whose calls these are
	dcURL string
	// The fakes' handlers, served in process: a call costs no connection, and nothing
	// runs on another goroutine.
	datacake, slack http.Handler
}

// errCrashed is what every call and write of a crashed process gets.
var errCrashed = errors.New("simulation: the process crashed")

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	name, err := t.name(req)
	if err != nil {
		return nil, err
	}
	w := t.w
	w.netCalls++
	var vars gqlVariables // of the calls that make or delete an API user
	if name == "datacake.NewApiUser" || name == "datacake.DeleteApiUser" {
		vars = t.variables(req)
	}
	n := t.node
	if w.crashPoint(n, "before "+name) {
		return nil, errCrashed
	}
	w.interleave(n, "before "+name, vars)
	if n.crashed != "" {
		return nil, errCrashed
	}
	f := w.faults.forCall(name)
	if f.kind != "" {
		w.trace.add(w.clock.Now(), "fault", f.kind, name+f.detail())
		if name == "datacake.DeleteApiUser" {
			// A token-lifetime promise about this API user waits for the delete's retry.
			w.faults.out.deleteFailed[vars.ID] = w.clock.Now()
		}
	}
	switch f.kind {
	case faultLatency:
		// A slow answer holds up only its caller in production; here one driver waits
		// for it, so the whole world is paused meanwhile, as a clock jump pauses it.
		before := w.clock.Now()
		w.clock.Advance(f.delay)
		w.faults.out.down(depClock, before, w.clock.Now())
	case faultTimeout:
		// Before or after the request was written, as the seed says: the client cannot
		// tell which, so a create must not be repeated blindly either way.
		if w.rng.IntN(2) == 0 {
			wrote(req)
		}
		return nil, fmt.Errorf("simulation: %s timed out", name)
	case faultStatus:
		wrote(req) // the server answered: it had the request
		return synthesized(req, f.status, f.retryAfter, f.body), nil
	}
	wrote(req)
	if !readOnly[name] {
		w.netChanges++
	}
	if what := t.mutation(vars, name); what != "" {
		w.trace.add(w.clock.Now(), "cakegate", name, what)
	}
	existed := false
	if name == "datacake.DeleteApiUser" {
		_, existed = w.dc.APIUser(vars.ID)
		w.model.lastDelete[vars.ID] = w.netCalls
	}
	resp, err := t.serve(req, name)
	if err != nil {
		return nil, err
	}
	if _, still := w.dc.APIUser(vars.ID); existed && !still {
		w.model.removedBy[vars.ID] = w.netCalls
	}
	if w.crashPoint(n, "after "+name) {
		resp.Body.Close()
		return nil, errCrashed
	}
	w.interleave(n, "after "+name, vars)
	switch f.kind {
	case faultLostAnswer:
		resp.Body.Close()
		return nil, fmt.Errorf("simulation: the answer of %s was lost", name)
	case faultAfterStatus:
		resp.Body.Close()
		return synthesized(req, f.status, f.retryAfter, f.body), nil
	}
	return resp, nil
}

// serve has the fake answer req in process, as it would over the network.
func (t *transport) serve(req *http.Request, name string) (resp *http.Response, err error) {
	h := t.slack
	if strings.HasPrefix(name, "datacake.") {
		h = t.datacake
	}
	sreq := req.Clone(req.Context())
	if sreq.Body == nil {
		sreq.Body = http.NoBody // as a server gives a GET: never nil
	}
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	defer func() {
		// A fake that drops the connection (http.ErrAbortHandler) leaves no answer.
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, fmt.Errorf("simulation: %s: connection closed without an answer", name)
		}
	}()
	h.ServeHTTP(rec, sreq)
	return rec.Result(), nil
}

// wrote tells the client's trace (net/http/httptrace) that the request was written, as
// http.Transport does: the Datacake client retries an operation that is not repeatable only
// when it knows the request never left.
func wrote(req *http.Request) {
	if t := httptrace.ContextClientTrace(req.Context()); t != nil && t.WroteRequest != nil {
		t.WroteRequest(httptrace.WroteRequestInfo{})
	}
}

// name names a call: its service and its operation or Web API method.
func (t *transport) name(req *http.Request) (string, error) {
	if strings.HasPrefix(req.URL.String(), t.dcURL) {
		var body struct {
			OperationName string `json:"operationName"`
		}
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			req.Body.Close()
			if err != nil {
				return "", err
			}
			req.Body = io.NopCloser(bytes.NewReader(b))
			_ = json.Unmarshal(b, &body)
		}
		return "datacake." + body.OperationName, nil
	}
	if method, ok := strings.CutPrefix(req.URL.Path, "/api/"); ok {
		return "slack." + method, nil
	}
	return "slack.response_url", nil
}

// synthesized is an answer made up by the fault model rather than the fake.
func synthesized(req *http.Request, status int, retryAfter time.Duration, body string) *http.Response {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests && retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	}
	if body == "" {
		body = `{"ok":false,"error":"simulated"}`
		if status >= 500 {
			h.Set("Content-Type", "text/html")
			body = "<html><body>simulated outage</body></html>"
		}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// crashPoint counts down the armed crash at its named step and reports whether node n
// dies here (or died before).
func (w *World) crashPoint(n *node, step string) bool {
	if n.crashed != "" {
		return true
	}
	if w.crashCountdown <= 0 || step != w.crashTarget {
		return false
	}
	w.crashCountdown--
	if w.crashCountdown > 0 {
		return false
	}
	n.crashed, w.crashed = step, step
	w.counts["crash "+step]++
	w.trace.add(w.clock.Now(), "fault", "crash", n.name+": "+step)
	return true
}

// writeFault is node n's store write hook: a crashed process writes nothing, an armed
// crash may strike before the write, a full disk refuses it.
func (w *World) writeFault(n *node, op string) error {
	if w.crashPoint(n, "before store."+op) {
		return errCrashed
	}
	w.interleave(n, "before store."+op, gqlVariables{})
	if n.crashed != "" {
		return errCrashed
	}
	if w.clock.Now().Before(w.diskFullUntil) && !w.faults.off && w.rng.IntN(2) == 0 {
		// A disk near full fails some writes and lets others through (smaller ones, or
		// after a log rotated), so a transition can stop between any two of its writes.
		w.trace.add(w.clock.Now(), "fault", "disk-full", "store."+op)
		return errors.New("simulation: no space left on device")
	}
	w.writes++
	if op != "retry_notification" && op != "complete_notification" && op != "check_writable" {
		w.requestWrites++
	}
	return nil
}

// mutation describes a call that changes Datacake, for the trace: the API user made or
// deleted. Other calls are not traced, or the trace would be all sweeps.
func (t *transport) mutation(v gqlVariables, name string) string {
	if name != "datacake.NewApiUser" && name != "datacake.DeleteApiUser" {
		return ""
	}
	if v.Input.Name != "" {
		return v.Input.Name
	}
	if f, ok := t.w.model.users[v.ID]; ok {
		return f.name
	}
	return "an API user the simulation has not seen"
}

// gqlVariables are the variables of cakegate's calls that make or delete an API user.
type gqlVariables struct {
	ID    string `json:"id"`
	Input struct {
		Name string `json:"name"`
	} `json:"input"`
}

// variables reads the GraphQL variables of a Datacake call, leaving its body readable.
func (t *transport) variables(req *http.Request) gqlVariables {
	if req.Body == nil {
		return gqlVariables{}
	}
	b, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(b))
	var body struct {
		Variables gqlVariables `json:"variables"`
	}
	_ = json.Unmarshal(b, &body)
	return body.Variables
}

// readOnly are the calls that change nothing: a step that made only these needs no check.
var readOnly = map[string]bool{
	"datacake.WorkspaceApiUsers": true, "datacake.Devices": true, "datacake.Me": true,
	"datacake.Workspaces": true, "datacake.MyPermissions": true,
	"slack.users.info": true, "slack.conversations.info": true, "slack.usergroups.users.list": true,
	"slack.auth.test": true,
}
