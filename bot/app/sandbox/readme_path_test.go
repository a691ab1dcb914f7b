package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"

	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// The README's five-minute path, word for word: TestReadmeFiveMinutePath reads its shell
// blocks and runs each line as the reader would, in an empty folder, with the built binary,
// against the demo's fakes of Slack and Datacake. The test stands in only where the reader
// leaves the shell (pasting the Datacake token, copying the app's tokens from Slack, the
// people of step 6) and for `go build`, whose binary the package's tests built already. A
// line the test cannot play fails it, so the path cannot grow a step nobody ran.

// readmePath is the README's five-minute section.
func readmePath(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Five minutes")
	if !ok {
		t.Fatal(`README.md has no "Five minutes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}

// codeBlock is one fenced block of the README, unindented.
type codeBlock struct {
	lang  string
	lines []string
}

// codeBlocks returns the fenced blocks of a Markdown text, list indentation removed.
func codeBlocks(t *testing.T, text string) []codeBlock {
	t.Helper()
	var blocks []codeBlock
	var cur *codeBlock
	indent := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			if lang, ok := strings.CutPrefix(trimmed, "```"); ok {
				cur, indent = &codeBlock{lang: lang}, line[:len(line)-len(trimmed)]
			}
			continue
		}
		if trimmed == "```" {
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		if line != "" && !strings.HasPrefix(line, indent) {
			t.Fatalf("a line of a code block is indented less than its fence: %q", line)
		}
		cur.lines = append(cur.lines, strings.TrimPrefix(line, indent))
	}
	if cur != nil {
		t.Fatal("a code block in the five-minute path is not closed")
	}
	return blocks
}

// shellComment is a comment after a command: the reader types what is before it.
var shellComment = regexp.MustCompile(`\s+#\s.*$`)

func TestReadmeFiveMinutePath(t *testing.T) {
	ctx := testContext(t)
	blocks := codeBlocks(t, readmePath(t))
	dir := t.TempDir()
	const dcToken = "dc-readme-path-token" // what the reader pastes into datacake-token

	// The fakes, made to hold what the README's policy names, read from the policy itself.
	var policy struct {
		Workspace        string   `yaml:"workspace"`
		ApprovalsChannel string   `yaml:"approvals_channel"`
		Approvers        []string `yaml:"approvers"`
	}
	var slash string // the command of step 6
	for _, b := range blocks {
		for i, line := range b.lines {
			if strings.HasPrefix(line, "cat > cakegate.yaml <<'EOF'") {
				body, _, _ := strings.Cut(strings.Join(b.lines[i+1:], "\n"), "\nEOF")
				if err := yaml.Unmarshal([]byte(body), &policy); err != nil {
					t.Fatalf("the README's policy does not parse: %v", err)
				}
			}
			if b.lang == "" && strings.HasPrefix(line, "/cakegate ") {
				slash = line
			}
		}
	}
	if policy.Workspace == "" || policy.ApprovalsChannel == "" || len(policy.Approvers) != 1 || slash == "" {
		t.Fatalf("the five-minute path lacks the policy (workspace, approvals_channel, one approver) or the command to try: %+v %q", policy, slash)
	}
	approver, requester := policy.Approvers[0], "U0TRYIT"
	sl := slacktest.New()
	sl.Start()
	t.Cleanup(sl.Close)
	sl.AddUser(slacktest.User{ID: approver, Name: "ann", RealName: "Ann Owner"})
	sl.AddUser(slacktest.User{ID: requester, Name: "rita", RealName: "Rita Field"})
	sl.AddChannel(policy.ApprovalsChannel, "cakegate-approvals")
	dc := datacaketest.NewServer(t)
	dc.AddWorkspace(policy.Workspace, "Acme", "acme")
	dc.AddToken(dcToken, map[string][]string{policy.Workspace: {"members"}})
	dc.AddDevice(policy.Workspace, datacaketest.Device{Name: "Freezer 2", Serial: "SN-1001", Online: true})

	// The reader's shell: an empty folder, and nothing of cakegate's in the environment but
	// where the fakes are and a free port (:3000 may be taken on a shared machine).
	env := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": dir,
		"SLACK_API_URL": sl.URL(), "DATACAKE_API_URL": dc.URL(), "CAKEGATE_ADDR": "127.0.0.1:0",
	}
	environ := func() []string {
		var out []string
		for k, v := range env {
			out = append(out, k+"="+v)
		}
		return out
	}
	help, _, _ := runBinary(t, nil, "help")
	var serve *exec.Cmd
	var serveLog apptest.SyncBuffer
	ran := 0
	for _, b := range blocks {
		if b.lang != "sh" {
			continue
		}
		for i := 0; i < len(b.lines); i++ {
			line := shellComment.ReplaceAllString(b.lines[i], "")
			if strings.TrimSpace(line) == "" {
				continue
			}
			ran++
			switch args := strings.Fields(line); {
			case line == "go build -o cakegate .":
				data, err := os.ReadFile(cakegateBinary(t))
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, "cakegate"), data, 0o755)
				}
				if err != nil {
					t.Fatal(err)
				}
			case line == "(umask 077 && cat > datacake-token)":
				if err := os.WriteFile(filepath.Join(dir, "datacake-token"), []byte(dcToken+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			case strings.HasPrefix(line, "cat > ") && strings.HasSuffix(line, " <<'EOF'"):
				name := strings.TrimSuffix(strings.TrimPrefix(line, "cat > "), " <<'EOF'")
				var body []string
				for i++; i < len(b.lines) && b.lines[i] != "EOF"; i++ {
					body = append(body, b.lines[i])
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(body, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			case args[0] == "export":
				for _, kv := range args[1:] {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || !strings.Contains(help, k) {
						t.Fatalf("the path exports %q, which is not a setting cakegate help names", kv)
					}
					// What the reader copied from Slack in step 2.
					switch v {
					case "xoxb-…":
						v = slacktest.DefaultBotToken
					case "xapp-…":
						v = slacktest.DefaultAppToken
					}
					if strings.Contains(v, "…") {
						t.Fatalf("the path exports %s with a placeholder the test cannot fill: %q", k, v)
					}
					env[k] = v
				}
			case line == "./cakegate serve":
				serve = exec.Command(filepath.Join(dir, "cakegate"), args[1:]...)
				serve.Dir, serve.Env, serve.Stderr = dir, environ(), &serveLog
				if err := serve.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if serve.ProcessState == nil {
						serve.Process.Kill()
						serve.Wait()
					}
				})
			case args[0] == "./cakegate":
				args, into := args[1:], ""
				if n := len(args); n >= 2 && args[n-2] == ">" {
					args, into = args[:n-2], args[n-1]
				}
				out := runInDir(t, dir, environ(), args...)
				if out.code != 0 {
					t.Fatalf("%s: exit %d\n%s%s", line, out.code, out.stdout, out.stderr)
				}
				if into != "" {
					if err := os.WriteFile(filepath.Join(dir, into), []byte(out.stdout), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if args[0] == "check-config" && !strings.Contains(out.stdout, "All checks passed.") {
					t.Fatalf("%s did not pass:\n%s", line, out.stdout)
				}
			default:
				t.Fatalf("the five-minute path has a line this test cannot play: %q", line)
			}
		}
	}
	if manifest, err := os.ReadFile(filepath.Join(dir, "manifest.yaml")); err != nil || !strings.Contains(string(manifest), "socket_mode_enabled: true") {
		t.Fatalf("the path's manifest is not a Socket Mode manifest (%v):\n%s", err, manifest)
	}
	if serve == nil {
		t.Fatal("the five-minute path never starts cakegate with ./cakegate serve")
	}

	// Step 6, in Slack: the request, the approval, the reveal.
	command, text, _ := strings.Cut(slash, " ")
	id, err := sl.SendSlashCommand(ctx, slack.SlashCommand{Command: command, Text: text, UserID: requester, ChannelID: policy.ApprovalsChannel})
	if err == nil {
		_, err = sl.WaitAck(ctx, id)
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", slash, err, serveLog.String())
	}
	var posted slacktest.Message
	if err := sl.WaitFor(ctx, func(s *slacktest.Server) bool {
		for _, m := range s.Messages(policy.ApprovalsChannel) {
			if strings.Contains(s.RenderMessage(m), "[Approve]") {
				posted = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no request in the approvals channel: %v\n%s", err, serveLog.String())
	}
	if _, err := sl.ClickButton(ctx, approver, posted.Channel, posted.TS, "cakegate_approve"); err != nil {
		t.Fatal(err)
	}
	var dm slacktest.Message
	if err := sl.WaitFor(ctx, func(s *slacktest.Server) bool {
		for _, m := range s.DMs(requester) {
			if strings.Contains(s.RenderMessage(m), "[Reveal token]") {
				dm = m
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no Reveal token message for the requester: %v\n%s", err, serveLog.String())
	}
	if _, err := sl.ClickButton(ctx, requester, dm.Channel, dm.TS, "cakegate_reveal"); err != nil {
		t.Fatal(err)
	}
	if err := sl.WaitFor(ctx, func(s *slacktest.Server) bool {
		v, ok := s.ModalOpen(requester)
		return ok && strings.Contains(s.RenderView(v), "Authorization: Token")
	}); err != nil {
		t.Fatalf("the token window never showed a token: %v\n%s", err, serveLog.String())
	}
	if n := len(dc.APIUsers(policy.Workspace)); n != 1 {
		t.Fatalf("Datacake holds %d API users, want the one just revealed", n)
	}

	// Ctrl-C stops it cleanly.
	if err := serve.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("cakegate serve after Ctrl-C: %v\n%s", err, serveLog.String())
	}
	for _, want := range []string{"Socket Mode", "ready"} {
		if !strings.Contains(serveLog.String(), want) {
			t.Errorf("serve's log does not say %q, as the README says it does:\n%s", want, serveLog.String())
		}
	}
	if strings.Contains(serveLog.String(), dcToken) {
		t.Errorf("serve's log shows the Datacake token:\n%s", serveLog.String())
	}
	t.Logf("%d lines of the five-minute path played", ran)
}

// runInDir runs the built cakegate in dir with exactly env.
func runInDir(t *testing.T, dir string, env []string, args ...string) binaryRun {
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, "cakegate"), args...)
	cmd.Dir, cmd.Env = dir, env
	stdout, stderr, code := runCommand(t, cmd)
	return binaryRun{code, stdout, stderr}
}

// binaryRun is what one run of cakegate printed and returned.
type binaryRun struct {
	code           int
	stdout, stderr string
}
