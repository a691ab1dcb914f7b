package sandbox

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/state"
)

// exitWorld is what the exit-code scenarios share: a folder with a valid policy, a path
// for the database, and an environment that names no real service.
type exitWorld struct {
	dir, policy, db string
	startup         *startupWorld // a fake Slack and Datacake, for the refused tokens
}

// env is an environment serve would start with (in HTTP mode, its services pointed at
// closed ports), with change applied: every setting is given, so the test machine's own
// environment plays no part.
func (w *exitWorld) env(t *testing.T, change ...string) []string {
	t.Helper()
	env := []string{
		"SLACK_BOT_TOKEN=xoxb-exit-codes", "SLACK_APP_TOKEN=", "SLACK_SIGNING_SECRET=exit-codes-signing-secret",
		"SLACK_API_URL=" + closedURL(t), "DATACAKE_TOKEN=dc-exit-codes", "DATACAKE_TOKEN_FILE=",
		"DATACAKE_API_URL=" + closedURL(t), "CAKEGATE_CONFIG=" + w.policy, "CAKEGATE_DB=" + w.db,
		"CAKEGATE_ADDR=127.0.0.1:0", "CAKEGATE_STORE=", "CAKEGATE_ETCD_ENDPOINTS=", "CAKEGATE_AUDIT_KEY_FILE=",
		"CAKEGATE_LOG_FORMAT=", "CAKEGATE_COMMAND=",
	}
	return append(env, change...)
}

// runCakegate runs the binary with env and args, bounded in time: a command that should
// have ended and did not fails the test instead of hanging it.
func runCakegate(t *testing.T, env []string, args ...string) (code int, out string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cakegateBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	b, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("cakegate %v did not end within 20s:\n%s", args, b)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(b)
}

// holdDatabase opens the database at path in this process, as a running cakegate holds it,
// without its control socket, until the test ends.
func holdDatabase(t *testing.T, path string) {
	t.Helper()
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
}

// TestExitCodesOfEveryCommand makes every command end in every way the exit-code table
// (app.ExitCauses, docs/exit-codes.md) lists for it, and checks the code: each row of the
// table is a promise some scenario here keeps.
func TestExitCodesOfEveryCommand(t *testing.T) {
	dir := t.TempDir()
	w := &exitWorld{dir: dir, policy: filepath.Join(dir, "cakegate.yaml"), db: filepath.Join(dir, "cakegate.db"), startup: newStartupWorld(t)}
	if err := os.WriteFile(w.policy, []byte(sandboxPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badPolicy, []byte(strings.Replace(sandboxPolicy, "max_duration: 7d", "max_duration: 7x", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := func() string {
		path := filepath.Join(t.TempDir(), "not-a-database.db")
		if err := os.WriteFile(path, []byte(strings.Repeat(sandboxPolicy, 40)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A database of its own, that the scenarios below hold or read.
	held := filepath.Join(t.TempDir(), "held.db")
	holdDatabase(t, held)
	// A database for each scenario that opens one: the scenarios run at once, and two
	// processes on one file would refuse each other.
	existing := func() string {
		path := filepath.Join(t.TempDir(), "existing.db")
		s, err := state.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		return path
	}
	target := existing()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // not defer: the subtests run in parallel, after this function returns
	// Nothing listens on port 1: etcd there does not answer.
	noEtcd := []string{"CAKEGATE_ETCD_ENDPOINTS=http://127.0.0.1:1"}
	refusedSlack := func(t *testing.T) []string {
		var env []string
		for k, v := range w.startup.env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-wrong"}) {
			env = append(env, k+"="+v)
		}
		return append(env, "SLACK_APP_TOKEN=", "DATACAKE_TOKEN_FILE=", "CAKEGATE_STORE=", "CAKEGATE_AUDIT_KEY_FILE=")
	}

	type scenario struct {
		env  func(t *testing.T) []string // nil: w.env(t)
		args []string
		want string // in the output
	}
	with := func(change ...string) func(t *testing.T) []string {
		return func(t *testing.T) []string { return w.env(t, change...) }
	}
	scenarios := map[string]scenario{
		"ok/serve":        {nil, []string{"serve", "--help"}, "-log-format"},
		"ok/demo":         {nil, []string{"demo", "--help"}, "usage: cakegate demo"},
		"ok/check-config": {nil, []string{"check-config", "--help"}, "-verbose"},
		"ok/manifest":     {nil, []string{"manifest", "--socket-mode"}, "socket_mode_enabled: true"},
		"ok/backup":       {with("CAKEGATE_DB=" + existing()), []string{"backup", filepath.Join(t.TempDir(), "copy.db")}, "backup written to"},
		"ok/audit":        {with("CAKEGATE_DB=" + existing()), []string{"audit", "verify"}, "audit log intact"},
		"ok/access":       {nil, []string{"access", "export", "--help"}, "-format"},
		"ok/migrate":      {nil, []string{"migrate", "--help"}, "usage: cakegate migrate"},
		"ok/version":      {nil, []string{"version", "--json"}, `"version":`},

		"unavailable/serve":        {with("CAKEGATE_STORE=etcd", noEtcd[0]), []string{"serve"}, "cannot start"},
		"unavailable/demo":         {with("TMPDIR=" + filepath.Join(dir, "missing")), []string{"demo"}, "demo failed"},
		"unavailable/check-config": {nil, []string{"check-config"}, "could not be made: a service did not answer"},
		"unavailable/backup":       {with("CAKEGATE_DB=" + held), []string{"backup", filepath.Join(t.TempDir(), "copy.db")}, "does not answer"},
		"unavailable/audit":        {with("CAKEGATE_DB=" + held), []string{"audit", "export"}, "does not answer"},
		"unavailable/access":       {with("CAKEGATE_DB=" + existing()), []string{"access", "export"}, "list the workspace's API users in Datacake"},
		"unavailable/migrate":      {with(append(noEtcd, "CAKEGATE_DB="+existing())...), []string{"migrate", "--to", "etcd"}, "migrate:"},

		"usage/serve":        {nil, []string{"serve", "--bogus"}, "usage: cakegate serve"},
		"usage/demo":         {nil, []string{"demo", "now"}, "usage: cakegate demo"},
		"usage/check-config": {nil, []string{"check-config", "now"}, "usage: cakegate check-config"},
		"usage/manifest":     {nil, []string{"manifest", "extra"}, "usage: cakegate manifest"},
		"usage/backup":       {nil, []string{"backup"}, "usage: cakegate backup"},
		"usage/audit":        {nil, []string{"audit"}, "usage: cakegate audit"},
		"usage/access":       {nil, []string{"access", "export", "--format", "xml"}, "usage: cakegate access"},
		"usage/migrate":      {nil, []string{"migrate"}, "usage: cakegate migrate"},
		"usage/version":      {nil, []string{"version", "--yaml"}, "usage: cakegate version"},

		"settings/serve":        {with("SLACK_BOT_TOKEN="), []string{"serve"}, "SLACK_BOT_TOKEN is not set"},
		"settings/check-config": {with("DATACAKE_MAX_RPS=fast"), []string{"check-config"}, "FAIL  DATACAKE_MAX_RPS"},
		"settings/audit":        {with("CAKEGATE_AUDIT_KEY_FILE=" + filepath.Join(dir, "no.key")), []string{"audit", "verify"}, "CAKEGATE_AUDIT_KEY_FILE"},
		"settings/access":       {with("DATACAKE_TOKEN="), []string{"access", "export"}, "DATACAKE_TOKEN (or DATACAKE_TOKEN_FILE) is not set"},
		"settings/migrate":      {nil, []string{"migrate", "--to", "etcd"}, "CAKEGATE_ETCD_ENDPOINTS is not set"},

		"policy/serve":        {with("CAKEGATE_CONFIG=" + badPolicy), []string{"serve"}, "max_duration 7x"},
		"policy/check-config": {with("CAKEGATE_CONFIG=" + badPolicy), []string{"check-config"}, "max_duration 7x"},
		"policy/access":       {with("CAKEGATE_CONFIG=" + badPolicy), []string{"access", "export"}, "max_duration 7x"},

		"database/serve":        {with("CAKEGATE_DB=" + notDB()), []string{"serve"}, "is not a database file"},
		"database/check-config": {with("CAKEGATE_DB=" + notDB()), []string{"check-config"}, "is not a database file"},
		"database/backup":       {with("CAKEGATE_DB=" + filepath.Join(dir, "missing.db")), []string{"backup", filepath.Join(t.TempDir(), "copy.db")}, "no database at"},
		"database/audit":        {with("CAKEGATE_DB=" + filepath.Join(dir, "missing.db")), []string{"audit", "export"}, "no database at"},
		"database/access":       {with("CAKEGATE_DB=" + filepath.Join(dir, "missing.db")), []string{"access", "export"}, "no database at"},
		"database/migrate":      {with(append(noEtcd, "CAKEGATE_DB="+filepath.Join(dir, "missing.db"))...), []string{"migrate", "--to", "etcd"}, "no database at"},

		"database-in-use/serve":   {with("CAKEGATE_DB=" + held), []string{"serve"}, "in use by another cakegate process"},
		"database-in-use/migrate": {with(append(noEtcd, "CAKEGATE_DB="+held)...), []string{"migrate", "--to", "etcd"}, "in use by another cakegate process"},

		"refused-token/serve":        {refusedSlack, []string{"serve"}, "SLACK_BOT_TOKEN is refused by Slack"},
		"refused-token/check-config": {refusedSlack, []string{"check-config"}, "FAIL  SLACK_BOT_TOKEN is refused by Slack"},

		"address-in-use/serve":        {with("CAKEGATE_ADDR="+busy.Addr().String(), "CAKEGATE_DB="+filepath.Join(t.TempDir(), "cakegate.db")), []string{"serve"}, "another program uses the port"},
		"address-in-use/check-config": {with("CAKEGATE_ADDR=" + busy.Addr().String()), []string{"check-config"}, "another program uses the port"},

		"backup-target/backup": {with("CAKEGATE_DB=" + target), []string{"backup", "--force", target}, "is the database itself"},

		"audit-log/audit": {with("CAKEGATE_DB=" + existing()), []string{"audit", "export", "--request", "R9"}, "there is no request R9"},
	}

	seen := map[string]bool{}
	for _, cause := range app.ExitCauses() {
		for _, command := range cause.Commands {
			name := cause.Kind + "/" + command
			seen[name] = true
			sc, ok := scenarios[name]
			if !ok {
				t.Errorf("%s: the table says %s can exit %d this way, and no scenario here shows it", name, command, cause.Code)
				continue
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel() // most wait: on a timeout, a refusal, a process
				env := w.env(t)
				if sc.env != nil {
					env = sc.env(t)
				}
				code, out := runCakegate(t, env, sc.args...)
				if code != cause.Code || !strings.Contains(out, sc.want) {
					t.Errorf("cakegate %s: exit %d, want %d (%s) and %q in:\n%s", strings.Join(sc.args, " "), code, cause.Code, cause.Kind, sc.want, out)
				}
			})
		}
	}
	for name := range scenarios {
		if !seen[name] {
			t.Errorf("scenario %s is for no row of the exit-code table: add the row (exit.go, docs/exit-codes.md) or drop the scenario", name)
		}
	}
}
