package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
	"github.com/cakegate/cakegate/state"
)

// checkConfigWorld is a Slack and a Datacake for check-config to look at.
type checkConfigWorld struct {
	slack    *slacktest.Server
	datacake *datacaketest.Server
	dir      string
	// installation is the id of the database the OKDatabase case made.
	installation string
}

func newCheckConfigWorld(t *testing.T) *checkConfigWorld {
	t.Helper()
	w := &checkConfigWorld{slack: slacktest.New(), datacake: datacaketest.NewServer(t), dir: t.TempDir()}
	w.slack.Start()
	t.Cleanup(w.slack.Close)
	w.slack.AddUser(slacktest.User{ID: sandboxAnn, Name: "ann"})
	w.slack.AddUser(slacktest.User{ID: sandboxBob, Name: "bob"})
	w.slack.AddUserGroup("S0OPS", sandboxBob)
	w.slack.AddChannel(sandboxChannel, "cakegate-approvals")
	w.datacake.AddWorkspace(sandboxWorkspace, "Acme", "acme")
	w.datacake.AddDevice(sandboxWorkspace, datacaketest.Device{Name: "Boiler room", Serial: "SN-1001", Online: true})
	w.datacake.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})
	w.datacake.AddToken("dc-no-members", map[string][]string{sandboxWorkspace: {"devices"}})
	return w
}

func (w *checkConfigWorld) env(t *testing.T, policy string, change ...string) []string {
	t.Helper()
	path := filepath.Join(w.dir, "cakegate.yaml")
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"SLACK_BOT_TOKEN=" + slacktest.DefaultBotToken,
		"SLACK_SIGNING_SECRET=s",
		"SLACK_APP_TOKEN=",
		"SLACK_API_URL=" + w.slack.URL(),
		"DATACAKE_TOKEN=" + sandboxDCToken,
		"DATACAKE_TOKEN_FILE=",
		"DATACAKE_API_URL=" + w.datacake.URL(),
		"CAKEGATE_CONFIG=" + path,
		"CAKEGATE_DB=" + filepath.Join(w.dir, "cakegate.db"),
		"CAKEGATE_ADDR=127.0.0.1:0",
	}
	return append(env, change...)
}

func TestCheckConfig(t *testing.T) {
	w := newCheckConfigWorld(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// What a running cakegate answers on its port.
	running := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			fmt.Fprintln(w, "cakegate_leader 1")
		}
	}))
	defer running.Close()
	notDB := filepath.Join(t.TempDir(), "policy-by-mistake.db")
	tests := []struct {
		name   string
		policy string
		env    []string
		setup  func()
		want   []string // lines that must appear
	}{
		{"OK", sandboxPolicy, nil, nil, []string{
			"ok    environment: HTTP mode", "ok    CAKEGATE_ADDR 127.0.0.1:0 is free to listen on", "ok    policy file", "2 roles: viewer, device-editor",
			"ok    Datacake token has the members permission", "ok    Slack bot token works",
			"ok    approvals channel #cakegate-approvals", "ok    approvers: all 2 resolve", "All checks passed."}},
		{"OKNoDatabaseYet", sandboxPolicy, nil, nil, []string{"does not exist yet: the first start creates it with a new installation id"}},
		{"OKDatabase", sandboxPolicy, nil, func() {
			s, err := state.Open(filepath.Join(w.dir, "cakegate.db"))
			if err != nil {
				t.Fatal(err)
			}
			w.installation, _, _ = s.Installation()
			s.Close()
		}, []string{"ok    database ", ": installation "}},
		{"ErrPolicyLine", strings.Replace(sandboxPolicy, "max_duration: 7d", "max_duration: 7x", 1), nil, nil,
			[]string{"cakegate.yaml:14: role \"viewer\": max_duration 7x"}},
		{"ErrSchedule", sandboxPolicy + "schedule:\n  expire: every minute\n", nil, nil,
			[]string{"FAIL  ", `cakegate.yaml:24: schedule: expire "every minute" is not a cron spec`}},
		{"ErrPortInUse", sandboxPolicy, []string{"CAKEGATE_ADDR=" + busy.Addr().String()}, nil, []string{
			"FAIL  CAKEGATE_ADDR=" + busy.Addr().String() + " cannot be listened on", "another program uses the port", "set CAKEGATE_ADDR to a free port"}},
		{"OKPortHeldByCakegate", sandboxPolicy, []string{"CAKEGATE_ADDR=" + strings.TrimPrefix(running.URL, "http://")}, nil, []string{
			"ok    CAKEGATE_ADDR " + strings.TrimPrefix(running.URL, "http://") + ": a running cakegate listens there already"}},
		{"ErrNotADatabase", sandboxPolicy, []string{"CAKEGATE_DB=" + notDB}, func() {
			if err := os.WriteFile(notDB, []byte(strings.Repeat(sandboxPolicy, 40)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"FAIL  CAKEGATE_DB: database " + notDB + " is not a database file", "check that CAKEGATE_DB names cakegate's database"}},
		{"ErrTabIndent", strings.Replace(sandboxPolicy, "  viewer:", "\tviewer:", 1), nil, nil, []string{
			"cakegate.yaml:9: indented with a tab: YAML indents with spaces only"}},
		{"ErrRoleApproversEmpty", strings.Replace(sandboxPolicy, "    approvals: 2\n", "    approvals: 2\n    approvers: []\n", 1), nil, nil, []string{
			`cakegate.yaml:23: role "device-editor": approvers: [] lists nobody`}},
		{"OKIdentityPins", sandboxPolicy, []string{"SLACK_TEAM_ID=" + slacktest.DefaultTeamID, "SLACK_APP_ID=" + slacktest.DefaultAppID}, nil, []string{
			"ok    the bot token belongs to the workspace and app the SLACK_*_ID settings name"}},
		{"ErrIdentityPins", sandboxPolicy, []string{"SLACK_TEAM_ID=T0ELSEWHERE", "SLACK_APP_ID=" + slacktest.DefaultAppID}, nil, []string{
			`FAIL  SLACK_TEAM_ID=T0ELSEWHERE, but the bot token belongs to workspace "` + slacktest.DefaultTeamID + `"`}},
		{"OKSocketModeWithASigningSecret", sandboxPolicy, []string{"SLACK_APP_TOKEN=" + slacktest.DefaultAppToken}, nil, []string{
			"ok    environment: Socket Mode (SLACK_APP_TOKEN is set)", "warn  SLACK_SIGNING_SECRET is set, but Socket Mode does not use it", "ok    Slack app-level token works"}},
		{"ErrEnvironment", sandboxPolicy, []string{"SLACK_SIGNING_SECRET=", "DATACAKE_MAX_RPS=fast"}, nil,
			[]string{"FAIL  SLACK_SIGNING_SECRET is not set", "FAIL  DATACAKE_MAX_RPS"}},
		{"ErrDatacakeToken", sandboxPolicy, []string{"DATACAKE_TOKEN=wrong"}, nil,
			[]string{"FAIL  DATACAKE_TOKEN is refused by Datacake (HTTP 401)"}},
		{"ErrNoMembersPermission", sandboxPolicy, []string{"DATACAKE_TOKEN=dc-no-members"}, nil,
			[]string{"FAIL  the Datacake token lacks the members permission"}},
		{"ErrSlackToken", sandboxPolicy, []string{"SLACK_BOT_TOKEN=xoxb-wrong"}, nil,
			[]string{"FAIL  SLACK_BOT_TOKEN is refused by Slack (invalid_auth)"}},
		{"ErrBotNotInChannel", sandboxPolicy, nil, func() { w.slack.SetChannelError(sandboxChannel, "not_in_channel") },
			[]string{"FAIL  the bot is not in the approvals channel #cakegate-approvals", "/invite @"}},
		{"OKAfterTheBotWasInvited", sandboxPolicy, nil, func() { w.slack.SetChannelError(sandboxChannel, "") },
			[]string{"ok    approvals channel #cakegate-approvals"}},
		{"ErrBotNotInARolesChannel", sandboxPolicy + "    approvals_channel: C0FIELDOPS\n", nil, func() {
			w.slack.AddChannel("C0FIELDOPS", "field-ops")
			w.slack.SetChannelError("C0FIELDOPS", "not_in_channel")
		}, []string{"ok    approvals channel #cakegate-approvals", "FAIL  the bot is not in the approvals channel #field-ops (C0FIELDOPS)"}},
		{"ErrTemplateWidensRole", sandboxPolicy + "templates:\n  quick: {role: device-editor, duration: 2d}\n", nil, nil,
			[]string{`cakegate.yaml:24: template "quick": duration 2d is longer than role device-editor allows (max_duration 1d): a template never widens its role`}},
		{"ErrTemplateRequestersResolve", sandboxPolicy + "templates:\n  quick: {role: viewer, requesters: [S0NOPE]}\n", nil, nil,
			[]string{"FAIL  template quick requesters: user group S0NOPE"}},
		{"OKTemplateDevices", sandboxPolicy + "templates:\n  boiler: {role: viewer, devices: [SN-1001]}\n", nil, nil,
			[]string{"ok    template boiler: 1 device, open to role viewer"}},
		{"ErrTemplateDeviceGone", sandboxPolicy + "templates:\n  boiler: {role: viewer, devices: [SN-1001, SN-GONE]}\n", nil, nil,
			[]string{`FAIL  template boiler devices: there is no device "SN-GONE" in the workspace`, "Fix the template's devices: in the policy file."}},
		{"OKOnCallGroup", sandboxPolicy + "    on_call: {group: S0OPS, max_duration: 4h}\n", nil, nil,
			[]string{"ok    role device-editor on_call: user group S0OPS exists; 1 on call now"}},
		{"ErrOnCallGroupUnknown", sandboxPolicy + "    on_call: {group: S0NOPE, max_duration: 4h}\n", nil, nil,
			[]string{"FAIL  role device-editor on_call: user group S0NOPE: Slack says no_such_subteam"}},
		// Slack failing the on-call group's lookup is an outage (exit 1), as for any other
		// group, not a mistake in the policy.
		{"ErrOnCallGroupUnreachable", sandboxPolicy + "    on_call: {group: S0OPS, max_duration: 4h}\n", nil, func() { w.slack.Fail5xxNext("usergroups.users.list", 1) },
			[]string{"FAIL  role device-editor on_call: user group S0OPS: Slack did not answer", "check the network"}},
		{"ErrEscalateToResolve", sandboxPolicy + "escalate_after: 2h\nescalate_to: [S0NOPE]\n", nil, nil,
			[]string{"FAIL  escalate_to: user group S0NOPE"}},
		{"ErrDatabaseAndAddress", sandboxPolicy, []string{"CAKEGATE_DB=/nonexistent/x.db", "CAKEGATE_ADDR=nonsense"}, nil, []string{
			"FAIL  CAKEGATE_DB=/nonexistent/x.db: the folder /nonexistent does not exist",
			`FAIL  CAKEGATE_ADDR="nonsense" is not host:port: give a listen address like :3000`}},
		{"ErrChannelName", strings.Replace(sandboxPolicy, "approvals_channel: "+sandboxChannel, `approvals_channel: "#cakegate-approvals"`, 1), nil, nil, []string{
			`cakegate.yaml:2: approvals_channel: "#cakegate-approvals" is not a Slack channel id (C…); a channel name will not do`,
			"copy the Channel ID"}},
		{"ErrSlackUnreachable", sandboxPolicy, []string{"SLACK_API_URL=" + closedURL(t)}, nil, []string{
			"FAIL  Slack at http://", "did not answer", "the bot token was not checked"}},
		{"ErrDatacakeUnreachable", sandboxPolicy, []string{"DATACAKE_API_URL=" + closedURL(t)}, nil, []string{
			"FAIL  Datacake at http://", "does not answer", "the token was not checked"}},
		{"ErrApproversResolve", strings.Replace(sandboxPolicy, "approvers: ["+sandboxAnn, "approvers: [U0NOBODY, S0NOPE, "+sandboxAnn, 1), nil, nil,
			[]string{"FAIL  approvers: user U0NOBODY", "user_not_found", "FAIL  approvers: user group S0NOPE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			out, errOut, code := runBinary(t, w.env(t, tt.policy, tt.env...), "check-config")
			// Something to fix exits 2; a service that did not answer, 1 (exit.go).
			wantCode := 2
			switch {
			case strings.HasPrefix(tt.name, "OK"):
				wantCode = 0
			case strings.Contains(tt.name, "Unreachable"):
				wantCode = 1
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d:\n%s%s", code, wantCode, out, errOut)
			}
			if tt.name == "OKDatabase" && !strings.Contains(out, "installation "+w.installation) {
				t.Errorf("want installation %s in:\n%s", w.installation, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("want %q in:\n%s", want, out)
				}
			}
			if strings.Contains(out, "Mode mode") {
				t.Errorf("check-config names the mode twice over:\n%s", out)
			}
			if strings.Contains(out, "is refused by") && strings.Contains(tt.name, "Unreachable") {
				t.Errorf("check-config blames a token when the service cannot be reached:\n%s", out)
			}
			for _, secret := range []string{sandboxDCToken, slacktest.DefaultBotToken, "dc-no-members"} {
				if strings.Contains(out+errOut, secret) {
					t.Errorf("check-config printed a secret:\n%s", out)
				}
			}
		})
	}
}

// TestCheckConfigVerbose: --verbose lists every setting as read, secrets only as set.
func TestCheckConfigVerbose(t *testing.T) {
	w := newCheckConfigWorld(t)
	out, errOut, code := runBinary(t, w.env(t, sandboxPolicy), "check-config", "--verbose")
	if code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"info  SLACK_BOT_TOKEN is set (not shown)", "info  CAKEGATE_DB=" + filepath.Join(w.dir, "cakegate.db"), "info  CAKEGATE_LOG_FORMAT is not set: text", "All checks passed."} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, slacktest.DefaultBotToken) || strings.Contains(out, sandboxDCToken) {
		t.Errorf("--verbose printed a secret:\n%s", out)
	}
	if _, errOut, code := runBinary(t, w.env(t, sandboxPolicy), "check-config", "--verbos"); code != 2 || !strings.Contains(errOut, "usage: cakegate check-config [--verbose]") {
		t.Errorf("check-config --verbos: exit %d, %q; want 2 with the usage", code, errOut)
	}
}

func TestManifest(t *testing.T) {
	out, errOut, code := runBinary(t, nil, "manifest", "--url", "https://cakegate.example.com")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"command: /cakegate", "url: https://cakegate.example.com/slack/commands",
		"request_url: https://cakegate.example.com/slack/interactions",
		"request_url: https://cakegate.example.com/slack/events", "- app_home_opened",
		"home_tab_enabled: true", "- chat:write", "- im:write", "- commands", "- usergroups:read",
		"socket_mode_enabled: false",
		// Leak response and offboarding (issue 15).
		"- message.channels", "- message.groups", "- message.im", "- user_change",
		"- channels:history", "- groups:history", "- im:history", "- users:read",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("manifest lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runBinary(t, nil, "manifest", "--socket-mode")
	if code != 0 || !strings.Contains(out, "socket_mode_enabled: true") || strings.Contains(out, "request_url") {
		t.Errorf("socket mode manifest (exit %d):\n%s", code, out)
	}
	// No flags: the Socket Mode manifest, and a word on stderr that it is that one.
	out, errOut, code = runBinary(t, nil, "manifest")
	if code != 0 || !strings.Contains(out, "socket_mode_enabled: true") || !strings.Contains(errOut, "Socket Mode manifest") {
		t.Errorf("cakegate manifest without flags (exit %d):\n%s\nstderr: %s", code, out, errOut)
	}
	// The command is one setting: CAKEGATE_COMMAND, unless --command says otherwise.
	out, _, _ = runBinary(t, []string{"CAKEGATE_COMMAND=/ask"}, "manifest")
	if !strings.Contains(out, "command: /ask") {
		t.Errorf("manifest with CAKEGATE_COMMAND=/ask:\n%s", out)
	}
	out, _, _ = runBinary(t, []string{"CAKEGATE_COMMAND=/ask"}, "manifest", "--command", "/tokens", "--name", "Token desk")
	if !strings.Contains(out, "command: /tokens") || !strings.Contains(out, "name: Token desk") {
		t.Errorf("manifest with --command /tokens --name:\n%s", out)
	}
	for _, args := range [][]string{{"manifest", "--url", "http://insecure"}, {"manifest", "--url", "https://x", "--socket-mode"}, {"manifest", "--command", "ask"}, {"manifest", "extra"}} {
		if _, _, code := runBinary(t, nil, args...); code != 2 {
			t.Errorf("cakegate %v: exit %d, want 2", args, code)
		}
	}
}

// closedURL is an http URL where nothing listens: a service that cannot be reached.
func closedURL(t *testing.T) string {
	t.Helper()
	return "http://" + freeAddr(t) + "/api/"
}

// TestCheckConfigAgreesWithServe: what check-config finds wrong with the settings, serve
// refuses with the same words, and check-config prints its lines in the same order every
// time.
func TestCheckConfigAgreesWithServe(t *testing.T) {
	w := newCheckConfigWorld(t)
	bad := []string{"CAKEGATE_DB=/nonexistent/x.db", "CAKEGATE_ADDR=nonsense"}
	out, _, code := runBinary(t, w.env(t, sandboxPolicy, bad...), "check-config")
	if code != 2 {
		t.Fatalf("check-config: exit %d:\n%s", code, out)
	}
	env := map[string]string{}
	for _, kv := range w.env(t, sandboxPolicy, bad...) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	got := serveCakegate(t, env)
	if got.code == 0 {
		t.Fatalf("serve started with settings check-config refused:\n%s", got.stderr)
	}
	for _, line := range strings.Split(out, "\n") {
		if msg, ok := strings.CutPrefix(line, "FAIL  "); ok && !strings.Contains(got.stderr, msg) {
			t.Errorf("check-config says %q, serve does not:\n%s", msg, got.stderr)
		}
	}

	first, _, _ := runBinary(t, w.env(t, sandboxPolicy), "check-config")
	for range 3 {
		again, _, _ := runBinary(t, w.env(t, sandboxPolicy), "check-config")
		if again != first {
			t.Fatalf("check-config's lines changed order:\n%s\nthen:\n%s", first, again)
		}
	}
	var order []int
	for _, want := range []string{"environment:", "policy file", "schedules:", "Datacake token belongs", "members permission", "Slack bot token works", "approvals channel", "approvers:"} {
		order = append(order, strings.Index(first, want))
	}
	if !slices.IsSorted(order) || order[0] < 0 {
		t.Fatalf("check-config's lines are not in the documented order:\n%s", first)
	}
}

// TestCheckConfigDatabase: check-config opens an existing database as serve would, so a file
// from a newer cakegate or not cakegate's at all fails here, before serve is started; a
// missing file is fine (serve creates it) and check-config does not create it.
func TestCheckConfigDatabase(t *testing.T) {
	w := newCheckConfigWorld(t)
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing.db")
	out, _, code := runBinary(t, w.env(t, sandboxPolicy, "CAKEGATE_DB="+missing), "check-config")
	if code != 0 || !strings.Contains(out, "ok    database "+missing+" does not exist yet") {
		t.Errorf("missing database: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("check-config created the database")
	}

	current := filepath.Join(dir, "current.db")
	s, err := state.Open(current)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	out, _, code = runBinary(t, w.env(t, sandboxPolicy, "CAKEGATE_DB="+current), "check-config")
	if code != 0 || !strings.Contains(out, "ok    database "+current+": installation ") || !strings.Contains(out, "; schema version") {
		t.Errorf("current database: exit %d:\n%s", code, out)
	}

	newer := filepath.Join(dir, "newer.db")
	db, err := bbolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return meta.Put([]byte("schema_version"), []byte("99"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _, code = runBinary(t, w.env(t, sandboxPolicy, "CAKEGATE_DB="+newer), "check-config")
	if code != 2 || !strings.Contains(out, "FAIL  CAKEGATE_DB: ") || !strings.Contains(out, "schema version 99 but this cakegate knows only up to") {
		t.Errorf("newer database: exit %d:\n%s", code, out)
	}
}
