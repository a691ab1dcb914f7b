package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cakegate/cakegate/commands"
)

// Verb names a subcommand of the slash command: the first word of its text.
type Verb string

// The subcommands.
const (
	VerbHelp    Verb = "help"
	VerbRequest Verb = "request"
	VerbList    Verb = "list"
	VerbStatus  Verb = "status"
	VerbPending Verb = "pending"
	VerbApprove Verb = "approve"
	VerbDeny    Verb = "deny"
	VerbCancel  Verb = "cancel"
	VerbRevoke  Verb = "revoke"
	VerbExtend  Verb = "extend"
	VerbRoles   Verb = "roles"
	VerbAudit   Verb = "audit"
	VerbOrphans Verb = "orphans"
	VerbReview  Verb = "review"
)

// Limits on what one slash command may carry.
const (
	// MaxRequestDevices is how many devices one request may name; tag:NAME covers larger groups.
	MaxRequestDevices = 100
	// MaxReasonRunes is the longest reason, in characters, so that approval messages stay readable.
	MaxReasonRunes = 500
	// MaxAuditCount is the most audit entries one "audit N" may ask for.
	MaxAuditCount = 1000
)

// Command is a parsed slash command.
type Command struct {
	Verb Verb
	// ID is the request named by status, approve, deny, cancel, revoke and extend.
	ID   commands.RequestID
	Role string
	// Devices are as typed: serials, device ids, or "tag:NAME". Empty entries and repeats are
	// dropped; order is kept.
	Devices []string
	// Duration is for= on request (0 means the role's default) and DURATION on extend.
	Duration time.Duration
	// Reason is reason= on request, or the free text after the id on deny and revoke.
	Reason string
	// Count is N on audit (0 means the default).
	Count int
	// Interactive is set for "request" with nothing after it: the bot opens the request form.
	Interactive bool
	// Template is template= on request: a preset of the policy that sets role and devices.
	Template string
	// Start is start= on request, as typed: when the access should start
	// (commands.ParseStart reads it, in the requester's time zone).
	Start string
}

// UsageError says what was wrong with the text of a slash command, in words the person who
// typed it can act on. The bot shows Message followed by Usage.
type UsageError struct {
	Message string
}

// Error returns the message.
func (e *UsageError) Error() string { return e.Message }

// Is lets errors.Is(err, commands.ErrInvalid) match, so callers that map codes to answers
// treat bad slash command text like any other malformed input.
func (e *UsageError) Is(target error) bool {
	t, ok := target.(*commands.Error)
	return ok && t.Message == "" && t.Code == commands.CodeInvalid
}

func usageErrorf(format string, args ...any) *UsageError {
	return &UsageError{Message: fmt.Sprintf(format, args...)}
}

// verbs drives both the parser's list of commands and Usage, so the two cannot disagree.
var verbs = []struct {
	verb    Verb
	args    string
	summary string
}{
	{VerbHelp, "", "show this help"},
	{VerbRequest, `[role=R] [devices=a,b|tag:x] [for=8h] [reason="…"]`, "ask for a token; with nothing after it, opens a form; `request template=NAME [for=4h] [reason=\"…\"]` starts from one of the policy's presets; `start=\"tomorrow 09:00\"` schedules it"},
	{VerbList, "", "your requests and grants"},
	{VerbStatus, "ID", "one request in detail"},
	{VerbPending, "", "requests waiting for your approval"},
	{VerbApprove, "ID", "approve a request"},
	{VerbDeny, "ID [reason…]", "deny a request"},
	{VerbCancel, "ID", "withdraw your request"},
	{VerbRevoke, "ID [reason…]", "end a grant now, or withdraw an approval whose token was not revealed yet"},
	{VerbExtend, "ID DURATION", "ask for more time, like: extend R42 24h"},
	{VerbRoles, "", "the roles you can ask for"},
	{VerbAudit, "[N]", "the last N audit entries"},
	{VerbOrphans, "delete", "approvers: delete leftover tokens that no request uses any more, when cakegate found too many at once to delete them itself"},
	{VerbReview, "", "approvers: review every API user of the workspace: those cakegate did not make, and old grants"},
}

// Usage returns the usage text for the slash command called name (e.g. "/cakegate"), one line
// per verb, for help and after bad input.
func Usage(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "/cakegate"
	} else if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	var b strings.Builder
	for i, v := range verbs {
		if i > 0 {
			b.WriteByte('\n')
		}
		line := name + " " + string(v.verb)
		if v.args != "" {
			line += " " + v.args
		}
		fmt.Fprintf(&b, "`%s` — %s", line, v.summary)
	}
	return b.String()
}

// ParseCommand parses the text after the slash command. Empty text asks for help. Errors are
// *UsageError.
func ParseCommand(text string) (Command, error) {
	if err := checkText(text); err != nil {
		return Command{}, err
	}
	s := &scanner{text: text}
	w, ok, err := s.next()
	if err != nil {
		return Command{}, err
	}
	if !ok {
		return Command{Verb: VerbHelp}, nil
	}
	if w.key != "" {
		return Command{}, usageErrorf("%s is not a command: start with one, like: request %s", quote(w.raw), shorten(w.raw))
	}
	verb := Verb(strings.ToLower(w.value))
	switch verb {
	case VerbHelp:
		// Whatever follows "help", the person wants help, not a lecture on help's arguments.
		return Command{Verb: VerbHelp}, nil
	case VerbList, VerbPending, VerbRoles, VerbReview:
		if err := s.end("%s takes nothing after it, like: %s", verb, verb); err != nil {
			return Command{}, err
		}
		return Command{Verb: verb}, nil
	case VerbOrphans:
		w, ok, err := s.next()
		if err != nil {
			return Command{}, err
		}
		if !ok || w.key != "" || !strings.EqualFold(w.value, "delete") {
			return Command{}, usageErrorf("orphans needs what to do with them, like: orphans delete")
		}
		if err := s.end("orphans delete takes nothing after it, like: orphans delete"); err != nil {
			return Command{}, err
		}
		return Command{Verb: verb}, nil
	case VerbStatus, VerbApprove, VerbCancel:
		id, err := s.requestID(verb, "%s needs a request id, like: %s R42", verb, verb)
		if err != nil {
			return Command{}, err
		}
		if err := s.end("%s takes one id, like: %s R42", verb, verb); err != nil {
			return Command{}, err
		}
		return Command{Verb: verb, ID: id}, nil
	case VerbDeny, VerbRevoke:
		example := "deny R42 the role is too broad"
		if verb == VerbRevoke {
			example = "revoke R42 done testing"
		}
		id, err := s.requestID(verb, "%s needs a request id, like: %s", verb, example)
		if err != nil {
			return Command{}, err
		}
		reason, err := cleanReason(freeText(s.rest()))
		if err != nil {
			return Command{}, err
		}
		return Command{Verb: verb, ID: id, Reason: reason}, nil
	case VerbExtend:
		return parseExtend(s)
	case VerbAudit:
		return parseAudit(s)
	case VerbRequest:
		return parseRequest(s)
	}
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = string(v.verb)
	}
	return Command{}, usageErrorf("unknown command %s: use %s or %s",
		quote(w.raw), strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

const extendNeeds = "extend needs an id and a duration, like: extend R42 24h"

func parseExtend(s *scanner) (Command, error) {
	id, err := s.requestID(VerbExtend, extendNeeds)
	if err != nil {
		return Command{}, err
	}
	w, ok, err := s.next()
	if err != nil {
		return Command{}, err
	}
	if !ok {
		return Command{}, usageErrorf(extendNeeds)
	}
	text := w.plainText()
	if w.key == "for" { // "extend R42 for=24h" reads like request's for=
		text = w.value
	}
	d, err := commands.ParseDuration(text)
	if err != nil {
		return Command{}, usageErrorf("extend: %s is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h", quote(w.raw))
	}
	if d == 0 {
		return Command{}, usageErrorf("extend needs a duration longer than zero, like: extend R42 24h")
	}
	if err := s.end("extend takes an id and a duration, like: extend R42 24h"); err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbExtend, ID: id, Duration: d}, nil
}

func parseAudit(s *scanner) (Command, error) {
	w, ok, err := s.next()
	if err != nil {
		return Command{}, err
	}
	if !ok {
		return Command{Verb: VerbAudit}, nil
	}
	// ParseUint, unlike Atoi, refuses signs, so "+5" and "-5" are not numbers here.
	n, err := strconv.ParseUint(w.plainText(), 10, 64)
	if err != nil || n == 0 || n > MaxAuditCount {
		return Command{}, usageErrorf("audit takes a number of entries from 1 to %d, like: audit 50", MaxAuditCount)
	}
	if err := s.end("audit takes at most one number, like: audit 50"); err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbAudit, Count: int(n)}, nil
}

const requestKeys = "use role=, devices=, for=, reason=, template= or start="

func parseRequest(s *scanner) (Command, error) {
	cmd := Command{Verb: VerbRequest}
	seen := make(map[string]bool)
	for {
		w, ok, err := s.next()
		if err != nil {
			return Command{}, err
		}
		if !ok {
			break
		}
		if w.key == "" {
			return Command{}, usageErrorf(`unexpected %s in request: %s, and quote values with spaces, like reason="field test"`,
				quote(w.raw), requestKeys)
		}
		switch w.key {
		case "role", "devices", "for", "reason", "template", "start":
		default:
			return Command{}, usageErrorf("unknown key %s= in request: %s", shorten(w.keyRaw), requestKeys)
		}
		if seen[w.key] {
			return Command{}, usageErrorf("%s= appears twice in request: give each key once", w.key)
		}
		seen[w.key] = true
		value := w.value
		if w.key != "reason" { // cleanReason unescapes reasons itself
			value = slackUnescape(value)
		}
		switch w.key {
		case "role":
			cmd.Role = strings.TrimSpace(value)
			if cmd.Role == "" {
				return Command{}, usageErrorf("role= needs a value, like role=viewer")
			}
		case "devices":
			devices, err := parseDevices(value)
			if err != nil {
				return Command{}, err
			}
			cmd.Devices = devices
		case "for":
			if strings.TrimSpace(value) == "" {
				return Command{}, usageErrorf("for= needs a duration, like for=8h")
			}
			d, err := commands.ParseDuration(value)
			if err != nil {
				return Command{}, usageErrorf("for=%s is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h", shorten(value))
			}
			if d == 0 {
				return Command{}, usageErrorf("for= must be longer than zero, like for=8h; leave it out to get the role's default")
			}
			cmd.Duration = d
		case "start":
			cmd.Start = strings.Join(strings.Fields(value), " ")
			if cmd.Start == "" {
				return Command{}, usageErrorf(`start= needs a time, like start=09:00 or start="tomorrow 09:00"; leave it out to start as soon as it is approved`)
			}
			if utf8.RuneCountInString(cmd.Start) > commands.MaxStartText {
				return Command{}, usageErrorf(`start= is too long for a time: write it like start=09:00, start="mon 09:00" or start=2026-12-07T09:00:00+01:00`)
			}
		case "template":
			cmd.Template = strings.TrimSpace(value)
			if cmd.Template == "" {
				return Command{}, usageErrorf("template= needs a name, like template=field-check; your cakegate Home tab lists the templates you may use")
			}
		case "reason":
			reason, err := cleanReason(value)
			if err != nil {
				return Command{}, err
			}
			if reason == "" {
				return Command{}, usageErrorf(`reason= is empty: say why you need access, like reason="firmware test", or leave it out`)
			}
			cmd.Reason = reason
		}
	}
	if seen["template"] && (seen["role"] || seen["devices"]) {
		return Command{}, usageErrorf(`a template sets the role and the devices: leave out role= and devices=, like: request template=%s for=4h reason="…"`, shorten(cmd.Template))
	}
	cmd.Interactive = len(seen) == 0
	return cmd, nil
}

// parseDevices splits a devices= value: commas separate, blanks are trimmed, empty entries and
// repeats are dropped, and the tag: prefix is written in lower case so TAG:x and tag:x are one.
func parseDevices(value string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	for _, d := range strings.Split(value, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if len(d) >= len("tag:") && strings.EqualFold(d[:len("tag:")], "tag:") {
			name := strings.TrimSpace(d[len("tag:"):])
			if name == "" {
				return nil, usageErrorf("devices= has tag: without a name: write it like tag:field-test")
			}
			d = "tag:" + name
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, usageErrorf("devices= names no devices: list serials or device ids separated by commas, or use tag:NAME")
	}
	if len(out) > MaxRequestDevices {
		return nil, usageErrorf("devices= names %d devices, more than the %d one request may hold: use tag:NAME for a group",
			len(out), MaxRequestDevices)
	}
	return out, nil
}

// freeText reads the reason after "deny ID" or "revoke ID": everything to the end, as typed.
// An optional reason= in front and quotes around the whole of it are taken off, so the
// request syntax works here too; anything else, apostrophes included, stays as it is.
func freeText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= len("reason=") && strings.EqualFold(s[:len("reason=")], "reason=") {
		s = strings.TrimSpace(s[len("reason="):])
	}
	if r, _ := utf8.DecodeRuneInString(s); isQuote(r) {
		if v, end, ok := readQuoted(s, 0); ok && end == len(s) {
			return v
		}
	}
	return s
}

// cleanReason undoes Slack's escaping and enforces the length limit.
func cleanReason(s string) (string, error) {
	s = strings.TrimSpace(slackUnescape(s))
	if n := utf8.RuneCountInString(s); n > MaxReasonRunes {
		return "", usageErrorf("the reason is %d characters long: keep it to %d", n, MaxReasonRunes)
	}
	return s, nil
}

// slackUnescape undoes the only escaping Slack applies to command text. A Replacer works in one
// pass, so a typed "&amp;lt;" becomes "&lt;", not "<".
func slackUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
}

// checkText refuses a command no one types, as commands.CheckText says, before it is
// parsed: the use cases check their free-text fields again, whichever way they arrived.
func checkText(text string) error {
	if err := commands.CheckText("command", text); err != nil {
		return usageErrorf("%s", commands.UserMessage(err))
	}
	return nil
}

// quote shows a piece of input inside straight quotes, without Go's backslash escapes, which
// would only puzzle a Slack user.
func quote(s string) string { return `"` + shorten(s) + `"` }

// shorten keeps echoed input short enough to read in an error message, and escapes it:
// the message is shown as mrkdwn, and what was typed must show as typed.
func shorten(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return escapeMrkdwn(s)
	}
	return escapeMrkdwn(string([]rune(s)[:limit])) + "…"
}

// A word is one whitespace-separated piece of command text: a plain word or key=value, where
// the word or the value may be quoted.
type word struct {
	raw    string // as typed, for messages
	key    string // lower-cased key of key=value; "" for a plain word
	keyRaw string // the key as typed
	value  string // with quotes and escapes taken off
}

// scanner splits command text into words. Quotes are straight ("…", '…') or typographic
// (“…”, ‘…’, ”…”, „…“), because Slack clients and macOS turn typed quotes into curly ones,
// after "=" often into a closing one. A quote only ends where whitespace or the end of the
// text follows, so an apostrophe, straight or curly, does not end ‘don’t’; a backslash
// escapes a quote or a backslash inside quotes.
type scanner struct {
	text string
	pos  int
}

// plain returns the word as a positional argument: its unquoted value, or for key=value the
// whole word, so that "status id=R42" is refused rather than read as "status R42".
func (w word) plainText() string {
	if w.key != "" {
		return w.raw
	}
	return w.value
}

// next returns the next word, or false at the end of the text.
func (s *scanner) next() (word, bool, error) {
	s.pos = skipSpace(s.text, s.pos)
	if s.pos >= len(s.text) {
		return word{}, false, nil
	}
	start := s.pos
	var w word
	if r, _ := utf8.DecodeRuneInString(s.text[s.pos:]); !isQuote(r) {
		end := s.pos
		for end < len(s.text) {
			r, n := utf8.DecodeRuneInString(s.text[end:])
			if unicode.IsSpace(r) || r == '=' {
				break
			}
			end += n
		}
		if end < len(s.text) && s.text[end] == '=' && end > s.pos {
			w.keyRaw = s.text[s.pos:end]
			w.key = strings.ToLower(w.keyRaw)
			s.pos = end + 1
		}
	}
	if r, _ := utf8.DecodeRuneInString(s.text[s.pos:]); s.pos < len(s.text) && isQuote(r) {
		v, end, ok := readQuoted(s.text, s.pos)
		if !ok {
			opener := s.text[start : s.pos+utf8.RuneLen(r)]
			return word{}, false, usageErrorf("unterminated quote in %s…: close it with a matching quote", shorten(opener))
		}
		w.value = v
		s.pos = end
		w.raw = s.text[start:s.pos]
		return w, true, nil
	}
	end := s.pos
	for end < len(s.text) {
		r, n := utf8.DecodeRuneInString(s.text[end:])
		if unicode.IsSpace(r) {
			break
		}
		end += n
	}
	w.value = s.text[s.pos:end]
	s.pos = end
	w.raw = s.text[start:end]
	return w, true, nil
}

// rest returns the text after the words read so far, as typed.
func (s *scanner) rest() string { return s.text[s.pos:] }

// end returns a UsageError built from format and args if any words are left.
func (s *scanner) end(format string, args ...any) error {
	if skipSpace(s.text, s.pos) < len(s.text) {
		return usageErrorf(format, args...)
	}
	return nil
}

// requestID reads the id after verb; missing is the message (a format with args) when there
// is none.
func (s *scanner) requestID(verb Verb, missing string, args ...any) (commands.RequestID, error) {
	w, ok, err := s.next()
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, usageErrorf(missing, args...)
	}
	id, err := commands.ParseRequestID(w.plainText())
	if err != nil {
		return 0, usageErrorf("%s needs a request id like R42, not %s", verb, quote(w.raw))
	}
	return id, nil
}

func startsWithSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func skipSpace(text string, i int) int {
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}

// The quote families. Any opener of a family may be closed by any closer of the same family,
// because clients disagree about which curly quote to type where.
const (
	doubleOpeners = "\"“”„"
	doubleClosers = "\"“”"
	singleOpeners = "'‘’‚"
	singleClosers = "'‘’"
)

// isQuote reports whether r is any quote character; every one of them can open a quote.
func isQuote(r rune) bool {
	return strings.ContainsRune(doubleOpeners, r) || strings.ContainsRune(singleOpeners, r)
}

// readQuoted reads a quoted value whose opening quote is at text[i]. It returns the value and
// the index just past the closing quote, or false if the quote is never closed.
func readQuoted(text string, i int) (string, int, bool) {
	open, n := utf8.DecodeRuneInString(text[i:])
	closers := singleClosers
	if strings.ContainsRune(doubleOpeners, open) {
		closers = doubleClosers
	}
	var b strings.Builder
	for i += n; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == '\\' && i+n < len(text) {
			if next, m := utf8.DecodeRuneInString(text[i+n:]); next == '\\' || isQuote(next) {
				b.WriteRune(next)
				i += n + m
				continue
			}
		}
		if strings.ContainsRune(closers, r) {
			if j := i + n; j == len(text) || startsWithSpace(text[j:]) {
				return b.String(), j, true
			}
		}
		b.WriteString(text[i : i+n])
		i += n
	}
	return "", 0, false
}
