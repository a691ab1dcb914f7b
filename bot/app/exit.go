package app

import (
	"errors"
	"flag"
	"io/fs"
	"slices"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/state"
)

// The exit codes of every cakegate command. A supervisor restarts on 1 and stops on 2
// (systemd: Restart=on-failure with RestartPreventExitStatus=2), so a mistake the operator
// must fix does not restart cakegate every few seconds forever, while an outage mends
// itself once the dependency is back. docs/exit-codes.md is the table of exitCauses.
const (
	// ExitOK: the command did what it was asked.
	ExitOK = 0
	// ExitRetry: it failed at this moment (a dependency did not answer, a write failed);
	// the same command may work later, unchanged.
	ExitRetry = 1
	// ExitFix: the operator must fix something first; the same command fails again the
	// same way until then.
	ExitFix = 2
)

// ExitCause is one kind of outcome, the code it exits with and the commands that can end
// that way: one row of the table in docs/exit-codes.md.
type ExitCause struct {
	Code int
	// Kind names the cause in one word, for the table and the tests.
	Kind     string
	Commands []string
	// What says when it happens, for the table.
	What string
}

// CommandNames are cakegate's commands, in the order of its help.
var CommandNames = []string{"serve", "demo", "check-config", "manifest", "backup", "audit", "access", "migrate", "version"}

// exitCauses lists every outcome. TestExitCodesOfEveryCommand (sandbox) makes each command
// fail in each way listed for it, and TestExitCodesDocumented keeps docs/exit-codes.md the
// same table.
var exitCauses = []ExitCause{
	{ExitOK, "ok", CommandNames,
		"the command did what it was asked (serve: it was stopped by SIGTERM or Ctrl-C)"},
	{ExitRetry, "unavailable", []string{"serve", "demo", "check-config", "backup", "audit", "access", "migrate"},
		"Slack, Datacake, etcd, the running cakegate or the disk did not answer or failed at that moment"},
	{ExitFix, "usage", CommandNames,
		"the command line: an unknown command or flag, a missing or extra argument"},
	{ExitFix, "settings", []string{"serve", "check-config", "audit", "access", "migrate"},
		"a setting (environment variable) is missing or wrong, or names a file this user cannot read"},
	{ExitFix, "policy", []string{"serve", "check-config", "access"},
		"the policy file (CAKEGATE_CONFIG) has a mistake"},
	{ExitFix, "database", []string{"serve", "check-config", "backup", "audit", "access", "migrate"},
		"the database file (CAKEGATE_DB): missing where one must exist, not a cakegate database, written by a newer cakegate"},
	{ExitFix, "database-in-use", []string{"serve", "migrate"},
		"another process holds the database file (the message names its pid when it can)"},
	{ExitFix, "refused-token", []string{"serve", "check-config"},
		"Slack or Datacake refused a token: wrong, revoked, or for another app"},
	{ExitFix, "address-in-use", []string{"serve", "check-config"},
		"CAKEGATE_ADDR: another program listens on the port, or this user may not use it"},
	{ExitFix, "backup-target", []string{"backup"},
		"the backup's target is the database itself, exists (without --force), or is in a folder this user cannot write"},
	{ExitFix, "audit-log", []string{"audit"},
		"verify: an event does not hold, or the chain's key is not the one given; export: no such request"},
}

// ExitCauses returns the table of exit codes (exitCauses).
func ExitCauses() []ExitCause { return slices.Clone(exitCauses) }

// exitCodeOf is the exit code of a command that failed with err: ExitFix for what the
// operator must fix (settings, the policy, the database file, a refused token, another
// process on the database), else ExitRetry.
func exitCodeOf(err error) int {
	var pe *commands.PolicyError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, new(configError)), errors.As(err, new(fixError)), errors.As(err, &pe), isRefusal(err),
		errors.Is(err, state.ErrLocked), errors.Is(err, state.ErrNotCakegate), errors.Is(err, state.ErrNewerSchema),
		errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return ExitFix
	}
	return ExitRetry
}

// fixError is a failure no retry mends that is not a setting: an audit log that does not
// hold, a request that is not there.
type fixError struct{ error }

func (e fixError) Unwrap() error { return e.error }

// isHelpFlag reports whether arg asks for a command's help: -h, -help or --help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// usageExit is the exit code of a command whose flags did not parse (err): ExitOK when
// they asked for help, which the flag package has printed, else ExitFix.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	return ExitFix
}
