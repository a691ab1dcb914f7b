package bot_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/commands"
)

func FuzzParseCommand(f *testing.F) {
	for _, tc := range parseCommandCases {
		f.Add(tc.text)
	}
	known := map[bot.Verb]bool{
		bot.VerbHelp: true, bot.VerbRequest: true, bot.VerbList: true, bot.VerbStatus: true,
		bot.VerbPending: true, bot.VerbApprove: true, bot.VerbDeny: true, bot.VerbCancel: true,
		bot.VerbRevoke: true, bot.VerbExtend: true, bot.VerbRoles: true, bot.VerbAudit: true, bot.VerbOrphans: true,
		bot.VerbReview: true,
	}
	needsID := map[bot.Verb]bool{
		bot.VerbStatus: true, bot.VerbApprove: true, bot.VerbDeny: true,
		bot.VerbCancel: true, bot.VerbRevoke: true, bot.VerbExtend: true,
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := bot.ParseCommand(text)
		if err != nil {
			var ue *bot.UsageError
			if !errors.As(err, &ue) || ue.Message == "" || !utf8.ValidString(ue.Message) {
				t.Fatalf("ParseCommand(%q): error %T %q, want a *bot.UsageError with a readable message", text, err, err)
			}
		} else {
			checkCommand(t, text, cmd, known, needsID)
		}

		// Blanks around the text never change the answer.
		padded, perr := bot.ParseCommand(" \n" + text + "\t ")
		if (err == nil) != (perr == nil) || (err != nil && err.Error() != perr.Error()) {
			t.Fatalf("ParseCommand(%q) error %v, but padded: %v", text, err, perr)
		}
		if err == nil && !cmp.Equal(cmd, padded) {
			t.Fatalf("ParseCommand(%q) = %+v, but padded: %+v", text, cmd, padded)
		}
	})
}

func checkCommand(t *testing.T, text string, cmd bot.Command, known, needsID map[bot.Verb]bool) {
	t.Helper()
	if !known[cmd.Verb] {
		t.Fatalf("ParseCommand(%q): unknown verb %q", text, cmd.Verb)
	}
	if needsID[cmd.Verb] != (cmd.ID != 0) {
		t.Fatalf("ParseCommand(%q): verb %s with id %d", text, cmd.Verb, cmd.ID)
	}
	if cmd.Duration < 0 || (cmd.Verb == bot.VerbExtend && cmd.Duration == 0) {
		t.Fatalf("ParseCommand(%q): verb %s with duration %v", text, cmd.Verb, cmd.Duration)
	}
	if cmd.Duration != 0 && cmd.Verb != bot.VerbRequest && cmd.Verb != bot.VerbExtend {
		t.Fatalf("ParseCommand(%q): verb %s with duration %v", text, cmd.Verb, cmd.Duration)
	}
	if len(cmd.Devices) > bot.MaxRequestDevices {
		t.Fatalf("ParseCommand(%q): %d devices", text, len(cmd.Devices))
	}
	seen := make(map[string]bool)
	for _, d := range cmd.Devices {
		if d == "" || d != strings.TrimSpace(d) || d == "tag:" || strings.Contains(d, ",") || seen[d] {
			t.Fatalf("ParseCommand(%q): bad or repeated device %q in %q", text, d, cmd.Devices)
		}
		seen[d] = true
	}
	if n := utf8.RuneCountInString(cmd.Reason); n > bot.MaxReasonRunes || !utf8.ValidString(cmd.Reason) {
		t.Fatalf("ParseCommand(%q): reason of %d runes, valid UTF-8 %v", text, n, utf8.ValidString(cmd.Reason))
	}
	if cmd.Reason != strings.TrimSpace(cmd.Reason) {
		t.Fatalf("ParseCommand(%q): reason %q is not trimmed", text, cmd.Reason)
	}
	if cmd.Count < 0 || cmd.Count > bot.MaxAuditCount || (cmd.Count != 0 && cmd.Verb != bot.VerbAudit) {
		t.Fatalf("ParseCommand(%q): verb %s with count %d", text, cmd.Verb, cmd.Count)
	}
	if cmd.Interactive && (cmd.Verb != bot.VerbRequest || cmd.Role != "" || cmd.Devices != nil || cmd.Duration != 0 || cmd.Reason != "" || cmd.Template != "" || cmd.Start != "") {
		t.Fatalf("ParseCommand(%q): interactive %+v", text, cmd)
	}
	if cmd.Verb == bot.VerbRequest && !cmd.Interactive && cmd.Role == "" && cmd.Devices == nil && cmd.Duration == 0 && cmd.Reason == "" && cmd.Template == "" && cmd.Start == "" {
		t.Fatalf("ParseCommand(%q): request with nothing in it is not interactive", text)
	}
	// A start is one line of single spaces, short, and only on request.
	if cmd.Start != "" && (cmd.Verb != bot.VerbRequest || cmd.Start != strings.Join(strings.Fields(cmd.Start), " ") || utf8.RuneCountInString(cmd.Start) > commands.MaxStartText) {
		t.Fatalf("ParseCommand(%q): start %q with %+v", text, cmd.Start, cmd)
	}
	// A template sets role and devices; its name is trimmed and never empty.
	if cmd.Template != "" && (cmd.Verb != bot.VerbRequest || cmd.Role != "" || cmd.Devices != nil || cmd.Template != strings.TrimSpace(cmd.Template)) {
		t.Fatalf("ParseCommand(%q): template %q with %+v", text, cmd.Template, cmd)
	}
}
