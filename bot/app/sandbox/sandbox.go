package sandbox

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/commands/commandstest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// The sandbox runs the real cakegate (store, use cases, bot, Datacake client, scheduler)
// against in-process fakes of Slack and Datacake on loopback. `cakegate demo` and the story
// tests both use it, so the demo shows exactly what the tests check.

// The sandbox's people, channel and Datacake workspace.
const (
	sandboxAlice     = "U0ALICE" // asks for tokens
	sandboxAnn       = "U0ANN"   // approver
	sandboxBob       = "U0BOB"   // approver
	sandboxCarol     = "U0CAROL" // neither
	sandboxChannel   = "C0APPROVALS"
	sandboxWorkspace = "5f0c2a9e-7d1b-4c3e-9a8f-2b6d4e1c0a7f"
	sandboxDCToken   = "dc-owner-token-sandbox"
	sandboxSecret    = "sandbox-signing-secret"
)

const sandboxPolicy = `workspace: ` + sandboxWorkspace + `
approvals_channel: ` + sandboxChannel + `
approvers: [` + sandboxAnn + `, ` + sandboxBob + `]
requesters: all
timezone: Europe/Berlin
reminders: [24h, 1h]
pending_timeout: 48h
roles:
  viewer:
    description: See chosen devices and their data
    workspace_permissions: []
    device_permissions: []
    devices: any
    max_duration: 7d
    default_duration: 8h
  device-editor:
    description: Edit devices and record measurements
    workspace_permissions: [devices]
    device_permissions: [edit_basics, record_measurements]
    max_duration: 24h
    default_duration: 4h
    approvals: 2
`

type sandboxOptions struct {
	socketMode bool
	log        io.Writer // nil: discard
	policy     string    // "": sandboxPolicy
	logFormat  string    // "": text
	alarm      bool      // run the expiry alarm on the manual clock; off, tests drive every sweep
	realClock  bool      // use the system clock instead of the manual one (benchmarks)
	command    string    // "": /cakegate
	// keepFiles leaves the folder with the database and the policy in place at Close, for
	// the demo's reader to explore.
	keepFiles bool
	// etcdEndpoint, when set, runs cakegate on the etcd store there, under etcdPrefix.
	etcdEndpoint, etcdPrefix string
}

type sandbox struct {
	slack    *slacktest.Server
	datacake *datacaketest.Server
	app      *app.App
	clock    *commandstest.Clock
	baseURL  string
	socket   bool
	alarm    bool
	real     bool // the app runs on the system clock
	dir      string
	devices  map[string]datacaketest.Device // by serial
	cancel   context.CancelFunc
	done     chan error
	cfg      app.Config
	logOut   io.Writer
	work     inflight // what cakegate acknowledged and still runs
	keep     bool

	closeOnce sync.Once
	closeErr  error
}

// newSandbox starts the fakes and cakegate. Close stops them and removes the database.
func newSandbox(opts sandboxOptions) (_ *sandbox, err error) {
	s := &sandbox{
		slack:    slacktest.New(),
		datacake: datacaketest.New(),
		clock:    commandstest.NewClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)),
		socket:   opts.socketMode,
		alarm:    opts.alarm || opts.realClock,
		real:     opts.realClock,
		keep:     opts.keepFiles,
		devices:  map[string]datacaketest.Device{},
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	s.slack.Start()
	for _, u := range []slacktest.User{
		{ID: sandboxAlice, Name: "alice", RealName: "Alice Field"},
		{ID: sandboxAnn, Name: "ann", RealName: "Ann Owner"},
		{ID: sandboxBob, Name: "bob", RealName: "Bob Owner"},
		{ID: sandboxCarol, Name: "carol", RealName: "Carol Intern"},
	} {
		s.slack.AddUser(u)
	}
	s.slack.AddChannel(sandboxChannel, "cakegate-approvals")
	if err := s.datacake.Start(); err != nil {
		return nil, err
	}
	s.datacake.AddWorkspace(sandboxWorkspace, "Acme Cold Chain", "acme")
	for _, d := range []datacaketest.Device{
		{Name: "Boiler room", Serial: "SN-1001", Tags: []string{"heating"}, Online: true},
		{Name: "Freezer 2", Serial: "SN-1002", Tags: []string{"lab", "field-test"}, Online: true},
		{Name: "Loading door", Serial: "SN-1003", Tags: []string{"field-test"}},
	} {
		s.devices[d.Serial] = s.datacake.AddDevice(sandboxWorkspace, d)
	}
	s.datacake.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})

	prefix := "cakegate-sandbox-"
	if opts.keepFiles {
		prefix = "cakegate-demo-" // what the reader is told to explore, and to remove
	}
	s.dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	policy := opts.policy
	if policy == "" {
		policy = sandboxPolicy
	}
	policyPath := filepath.Join(s.dir, "cakegate.yaml")
	if err := os.WriteFile(policyPath, []byte(policy), 0o600); err != nil {
		return nil, err
	}
	cfg := app.Config{
		SlackBotToken:      slacktest.DefaultBotToken,
		SlackSigningSecret: sandboxSecret,
		SlackAPIURL:        s.slack.URL(),
		DatacakeToken:      sandboxDCToken,
		DatacakeAPIURL:     s.datacake.URL(),
		DatacakeMaxRPS:     1000,
		DatacakeMaxConc:    16,
		PolicyPath:         policyPath,
		DBPath:             filepath.Join(s.dir, "cakegate.db"),
		Addr:               "127.0.0.1:0",
		LogFormat:          cmp.Or(opts.logFormat, "text"),
		Command:            cmp.Or(opts.command, "/cakegate"),
	}
	if opts.socketMode {
		cfg.SlackAppToken = slacktest.DefaultAppToken
	}
	if opts.etcdEndpoint != "" {
		cfg.Store = "etcd"
		cfg.Etcd.Endpoints = []string{opts.etcdEndpoint}
		cfg.Etcd.Prefix = opts.etcdPrefix
	}
	s.cfg, s.logOut = cfg, opts.log
	if s.logOut == nil {
		s.logOut = io.Discard
	}
	if err := s.startApp(); err != nil {
		return nil, err
	}
	return s, nil
}

// startApp builds cakegate from s.cfg on the sandbox's database and runs it.
func (s *sandbox) startApp() error {
	var err error
	var clock commands.Clock = s.clock
	if s.real {
		clock = commands.SystemClock{}
	}
	s.app, err = app.New(s.cfg, app.NewLogger(s.cfg, s.logOut), app.Options{
		Clock:         clock,
		DatacakeSleep: func(context.Context, time.Duration) error { return nil },
		NoAlarm:       !s.alarm,
		// One health check at start; tests that need more ask for them.
		HealthInterval: time.Hour,
		Go:             s.work.run,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.baseURL = "http://" + ln.Addr().String()
	_, opened := s.slack.Connections()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.done = make(chan error, 1)
	go func() { s.done <- s.app.Run(ctx, ln) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if s.socket {
		if err := s.slack.WaitConnected(wctx, opened+1); err != nil {
			return fmt.Errorf("socket mode did not connect: %w", err)
		}
	}
	// Start from a ready cakegate, as a load balancer would: the background checks of
	// the database, Slack and Datacake have all passed.
	select {
	case <-s.app.Ready():
	case err := <-s.done:
		s.done <- err
		return fmt.Errorf("cakegate stopped at start: %v", err)
	case <-wctx.Done():
		return fmt.Errorf("cakegate did not become ready: %w", s.app.Readiness())
	}
	return nil
}

// stopApp stops cakegate as SIGTERM would and closes its database. startApp starts it
// again on the same database and policy, with the fakes and the clock left as they are:
// what a redeploy does.
func (s *sandbox) stopApp() error {
	var err error
	if s.cancel != nil {
		s.cancel()
		err = <-s.done
		s.cancel = nil
	}
	if s.app != nil {
		if cerr := s.app.Close(); err == nil {
			err = cerr
		}
		s.app = nil
	}
	return err
}

// restart stops cakegate as SIGTERM would and starts it again on the same database, policy,
// fakes and clock: a redeploy, or a crash followed by a restart when the database was left
// as a crash would leave it.
func (s *sandbox) restart() error {
	if err := s.stopApp(); err != nil {
		return err
	}
	return s.startApp()
}

// Close stops cakegate (as SIGTERM would) and the fakes, and removes the files. Closing
// again does nothing.
func (s *sandbox) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *sandbox) close() error {
	err := s.stopApp()
	s.slack.Close()
	s.datacake.Close()
	if s.dir != "" && (!s.keep || err != nil) {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
	return err
}

// slash has user type /cakegate text and returns the private answer they see.
func (s *sandbox) slash(ctx context.Context, user, text string) (string, error) {
	responseURL, err := s.sendSlash(ctx, user, text)
	if err != nil {
		return "", err
	}
	return s.answer(ctx, responseURL)
}

// sendSlash has user type /cakegate text and returns once cakegate acknowledged it, with
// the response URL where its answer will come.
func (s *sandbox) sendSlash(ctx context.Context, user, text string) (string, error) {
	responseURL := s.slack.ResponseURLFor(sandboxChannel, user, "")
	sc := slack.SlashCommand{
		Command: s.cfg.Command, Text: text, UserID: user, ChannelID: sandboxChannel,
		ResponseURL: responseURL, TriggerID: s.slack.NewTriggerID(user), TeamID: slacktest.DefaultTeamID,
	}
	if s.socket {
		id, err := s.slack.SendSlashCommand(ctx, sc)
		if err != nil {
			return "", err
		}
		if _, err := s.slack.WaitAck(ctx, id); err != nil {
			return "", fmt.Errorf("slash command not acknowledged: %w", err)
		}
		return responseURL, nil
	}
	return responseURL, s.post(ctx, "/slack/commands", slacktest.SlashCommandForm(sc))
}

// click has user press a button on a message and returns the private answer they see.
func (s *sandbox) click(ctx context.Context, user, channel, ts, actionID string) (string, error) {
	responseURL, err := s.sendClick(ctx, user, channel, ts, actionID)
	if err != nil {
		return "", err
	}
	return s.answer(ctx, responseURL)
}

// sendClick has user press a button on a message and returns once cakegate acknowledged it,
// with the response URL where a private answer would come.
func (s *sandbox) sendClick(ctx context.Context, user, channel, ts, actionID string) (string, error) {
	cb, err := s.slack.ButtonClick(user, channel, ts, actionID)
	if err != nil {
		return "", err
	}
	_, err = s.interact(ctx, cb)
	return cb.ResponseURL, err
}

// post sends a signed request to cakegate, as Slack does, and expects the acknowledgement.
func (s *sandbox) post(ctx context.Context, path string, body []byte) error {
	req, err := slacktest.SignedRequest(s.baseURL+path, body, sandboxSecret, time.Now())
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	ack, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", path, resp.Status, bytes.TrimSpace(ack))
	}
	return nil
}

// answer waits for the first answer posted to responseURL and renders it.
func (s *sandbox) answer(ctx context.Context, responseURL string) (string, error) {
	var text string
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		posts := srv.ResponseURLPosts(responseURL)
		if len(posts) == 0 {
			return false
		}
		p := posts[0]
		text = srv.RenderText(p.Text)
		if len(p.Blocks) > 0 && string(p.Blocks) != "null" {
			text = srv.Render(p.Blocks)
		}
		return true
	})
	if err != nil {
		return "", fmt.Errorf("no answer came: %w", err)
	}
	return strings.TrimSpace(text), nil
}

// approvalMessage waits for the approval message of request id (e.g. "R1") in the channel.
func (s *sandbox) approvalMessage(ctx context.Context, id string, match func(text string) bool) (slacktest.Message, error) {
	var found slacktest.Message
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, m := range srv.Messages(sandboxChannel) {
			text := srv.RenderMessage(m)
			if strings.Contains(text, id+" ·") && (match == nil || match(text)) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return found, fmt.Errorf("approval message of %s: %w", id, err)
	}
	return found, nil
}

// dm waits for a direct message to user that satisfies match, and renders it.
func (s *sandbox) dm(ctx context.Context, user string, match func(text string) bool) (string, error) {
	m, err := s.dmMessage(ctx, user, match)
	if err != nil {
		return "", err
	}
	return s.slack.RenderMessage(m), nil
}

// dmMessage waits for a direct message to user whose rendering satisfies match.
func (s *sandbox) dmMessage(ctx context.Context, user string, match func(text string) bool) (slacktest.Message, error) {
	var found slacktest.Message
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, m := range srv.DMs(user) {
			if match(srv.RenderMessage(m)) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return found, fmt.Errorf("direct message to %s: %w", user, err)
	}
	return found, nil
}

// slackCallsButHealthChecks lists the Slack calls cakegate made, leaving out the background
// health check and what it learns at start (auth.test, bots.info), which run whatever users do.
func (s *sandbox) slackCallsButHealthChecks() []slacktest.Call {
	var out []slacktest.Call
	for _, c := range s.slack.Calls() {
		if c.Method != "auth.test" && c.Method != "bots.info" {
			out = append(out, c)
		}
	}
	return out
}

// tick runs what the scheduler would after the clock moved: every scheduled job (the app's
// own job list), then delivers the outbox at once rather than waiting for its worker. As in
// production, a failing job does not stop the others or the delivery; their errors are
// returned joined.
func (s *sandbox) tick(ctx context.Context) error {
	err := s.app.Sweep(ctx)
	_, derr := s.app.Bot().DeliverOutbox(ctx)
	return errors.Join(err, derr)
}
