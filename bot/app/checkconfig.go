package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
	"github.com/cakegate/cakegate/datacake"
	"github.com/cakegate/cakegate/state"
)

// checker collects the results of check-config, one line each.
type checker struct {
	out io.Writer
	// problems are what the operator must fix (exit 2); unanswered are checks a service
	// did not answer, so they could not be made (exit 1: try again).
	problems, unanswered int
}

func (c *checker) ok(format string, args ...any) {
	fmt.Fprintf(c.out, "ok    %s\n", fmt.Sprintf(format, args...))
}

// skip notes a check that could not run because an earlier one failed; the failure is
// already counted.
func (c *checker) skip(format string, args ...any) {
	fmt.Fprintf(c.out, "skip  %s\n", fmt.Sprintf(format, args...))
}

// warn notes a risk the operator may choose to run with; it is not counted as a problem.
func (c *checker) warn(format string, args ...any) {
	fmt.Fprintf(c.out, "warn  %s\n", fmt.Sprintf(format, args...))
}

func (c *checker) fail(format string, args ...any) {
	c.problems++
	fmt.Fprintf(c.out, "FAIL  %s\n", fmt.Sprintf(format, args...))
}

// unavailable notes a check a service did not answer: nothing to fix in the settings, but
// check-config cannot say they are right.
func (c *checker) unavailable(format string, args ...any) {
	c.unanswered++
	fmt.Fprintf(c.out, "FAIL  %s\n", fmt.Sprintf(format, args...))
}

// failErr notes err by its kind: a problem to fix, or a service that did not answer.
func (c *checker) failErr(err error, format string, args ...any) {
	if exitCodeOf(err) == ExitFix {
		c.fail(format, args...)
	} else {
		c.unavailable(format, args...)
	}
}

// info notes what check-config read (--verbose); it is neither good nor bad.
func (c *checker) info(format string, args ...any) {
	fmt.Fprintf(c.out, "info  %s\n", fmt.Sprintf(format, args...))
}

// CheckConfig is `cakegate check-config [--verbose]`: it checks the settings, the port,
// the policy file, the database, the Datacake token and its permission, the Slack tokens,
// the approvals channel and the approvers, and prints each problem on its own line with
// the fix. It exits 2 if there is a problem to fix, else 1 if a service did not answer, so
// a check could not be made; --verbose also lists every setting as read.
func CheckConfig(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("check-config", flag.ContinueOnError)
	flags.SetOutput(stderr)
	verbose := flags.Bool("verbose", false, "also list every setting as read, with the defaults taken (secrets only as set or not)")
	if err := flags.Parse(args); err != nil || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cakegate check-config [--verbose]")
		return usageExit(err)
	}
	c := &checker{out: stdout}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()

	if *verbose {
		listSettings(c, getenv)
	}
	cfg, err := LoadConfig(getenv)
	var cerr configError
	switch {
	case errors.As(err, &cerr):
		for _, p := range cerr {
			c.fail("%s", p)
		}
	case err != nil:
		c.fail("%v", err)
	default:
		c.ok("environment: %s, slash command %s (the app's manifest must declare the same: cakegate manifest)", cfg.modeDescription(), cfg.Command)
	}
	for _, w := range cfg.modeWarnings() {
		c.warn("%s", w)
	}
	if checkAddr(cfg.Addr) == "" {
		checkListen(ctx, c, cfg.Addr)
	}

	if cfg.Store == storeEtcd {
		checkEtcd(ctx, c, cfg)
	} else {
		checkDatabase(ctx, c, cfg)
	}

	policy, perr := loadPolicy(cfg.PolicyPath)
	var pe *commands.PolicyError
	switch {
	case errors.As(perr, &pe):
		for _, p := range pe.Problems {
			line := pe.File
			if p.Line > 0 {
				line = fmt.Sprintf("%s:%d", pe.File, p.Line)
			}
			c.fail("%s: %s", line, p.Message)
		}
	case perr != nil:
		c.fail("policy file (CAKEGATE_CONFIG=%s): %v", cfg.PolicyPath, perr)
	default:
		c.ok("policy file %s: %s: %s", cfg.PolicyPath, commands.Plural(len(policy.RoleOrder), "role", "roles"), strings.Join(policy.RoleOrder, ", "))
		var specs []string
		for _, e := range scheduleEntries(policy.Schedule) {
			specs = append(specs, e[0]+" "+e[1])
		}
		c.ok("schedules: %s", strings.Join(specs, ", "))
	}

	if cfg.DatacakeToken != "" {
		checkDatacake(ctx, c, cfg, policy)
	}
	if cfg.SlackBotToken != "" {
		checkSlack(ctx, c, cfg, policy)
	}

	switch {
	case c.problems > 0:
		fmt.Fprintf(stdout, "\n%s found; each FAIL line says how to fix it.\n", commands.Plural(c.problems+c.unanswered, "problem", "problems"))
		return ExitFix
	case c.unanswered > 0:
		fmt.Fprintf(stdout, "\n%s could not be made: a service did not answer. Run check-config again once it does.\n", commands.Plural(c.unanswered, "check", "checks"))
		return ExitRetry
	}
	fmt.Fprintln(stdout, "\nAll checks passed.")
	return ExitOK
}

// listSettings prints every setting as check-config reads it (--verbose): its value, or
// the default taken; a secret only as set or not.
func listSettings(c *checker, getenv func(string) string) {
	secret := map[string]bool{"SLACK_BOT_TOKEN": true, "SLACK_APP_TOKEN": true, "SLACK_SIGNING_SECRET": true, "DATACAKE_TOKEN": true}
	for _, s := range [][2]string{
		{"SLACK_BOT_TOKEN", ""}, {"SLACK_APP_TOKEN", ""}, {"SLACK_SIGNING_SECRET", ""}, {"SLACK_API_URL", "https://slack.com/api/"},
		{"DATACAKE_TOKEN", ""}, {"DATACAKE_TOKEN_FILE", ""}, {"DATACAKE_API_URL", defaultDatacakeURL},
		{"DATACAKE_MAX_RPS", "10"}, {"DATACAKE_MAX_CONCURRENCY", "8"},
		{"CAKEGATE_CONFIG", defaultPolicyPath}, {"CAKEGATE_DB", defaultDBPath}, {"CAKEGATE_ADDR", defaultAddr},
		{"CAKEGATE_LOG_FORMAT", "text"}, {"CAKEGATE_COMMAND", defaultCommand}, {"CAKEGATE_STORE", storeBbolt},
		{"CAKEGATE_AUDIT_KEY_FILE", ""},
	} {
		name, def := s[0], s[1]
		v := getenv(name)
		switch {
		case v != "" && secret[name]:
			c.info("%s is set (not shown)", name)
		case v != "":
			c.info("%s=%s", name, v)
		case def != "":
			c.info("%s is not set: %s", name, def)
		default:
			c.info("%s is not set", name)
		}
	}
}

// checkListen checks that serve could listen on addr, as serve would: a port another
// program holds stops serve, while one a running cakegate holds is as it should be.
func checkListen(ctx context.Context, c *checker, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		c.ok("CAKEGATE_ADDR %s is free to listen on", addr)
		return
	}
	if runningCakegateAt(ctx, addr) {
		c.ok("CAKEGATE_ADDR %s: a running cakegate listens there already (a second would not start beside it)", addr)
		return
	}
	c.fail("%s", listenProblem(addr, err))
}

// listenProblem says why serve cannot listen on addr, and the fix.
func listenProblem(addr string, err error) string {
	return fmt.Sprintf("CAKEGATE_ADDR=%s cannot be listened on (%v): another program uses the port, or this user may not use it; "+
		"stop that program, or set CAKEGATE_ADDR to a free port like :3001", addr, errors.Unwrap(err))
}

// runningCakegateAt reports whether what listens at addr is a cakegate: its /metrics
// carries cakegate's own gauges.
func runningCakegateAt(ctx context.Context, addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/metrics", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "cakegate_leader")
}

// checkDatabase opens a copy of an existing database as serve would open the file (the
// same schema checks: a newer schema or a file that is not cakegate's is refused), so it
// works while cakegate runs, and shows which installation it is: an operator notices a
// wrong or fresh file before it starts (a new database does not know the old one's grants).
func checkDatabase(ctx context.Context, c *checker, cfg Config) {
	path := cfg.DBPath
	if checkDBPath(path) != "" {
		return // LoadConfig said what is wrong
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		c.ok("database %s does not exist yet: the first start creates it with a new installation id. If cakegate has run before, this is the wrong file (check CAKEGATE_DB and the working directory)", path)
		checkAuditKeying(c, cfg, state.AuditKeying{}, 0)
		return
	}
	s, closeSnapshot, err := state.OpenSnapshot(path)
	if err != nil {
		c.failErr(err, "CAKEGATE_DB: %v", err)
		return
	}
	defer closeSnapshot()
	st, err := s.Stats(ctx)
	if err != nil {
		c.failErr(err, "CAKEGATE_DB: %v", err)
		return
	}
	id, created, err := s.Installation()
	if err != nil {
		c.failErr(err, "CAKEGATE_DB: %v", err)
		return
	}
	c.ok("database %s: installation %s, created %s; schema version %d, %s, %s", path, id, created.UTC().Format(time.RFC3339), state.SchemaVersion,
		commands.Plural(int(st.Requests), "request", "requests"), commands.Plural(int(st.AuditEvents), "audit event", "audit events"))
	k, err := s.AuditKeying(ctx)
	if err != nil {
		c.failErr(err, "CAKEGATE_DB: %v", err)
		return
	}
	checkAuditKeying(c, cfg, k, st.AuditEvents)
}

// checkAuditKeying says how the audit chain of events events is keyed (k), against the
// key given: what serve would refuse fails with serve's words; an unkeyed chain without a
// key is a warning, with how to key it.
func checkAuditKeying(c *checker, cfg Config, k state.AuditKeying, events uint64) {
	switch msg := auditKeyMismatch(k, cfg.AuditKey); {
	case cfg.AuditKeyFile != "" && cfg.AuditKey == nil:
		c.skip("the audit chain's keying: %s was refused (see above)", auditKeyVariable)
	case msg != "":
		c.fail("%s", msg)
	case k.Keyed():
		c.ok("audit chain keyed from event %d with key %s, the key in %s", k.From, k.KeyID, auditKeyVariable)
	case cfg.AuditKey != nil:
		c.ok("audit chain not keyed yet: the next start keys it from event %d on with key %s, the key in %s", events+1, cfg.AuditKey.ID(), auditKeyVariable)
	default:
		c.warn("audit chain unkeyed: %s; %s", unkeyedRisk, howToKey)
	}
}

func checkDatacake(ctx context.Context, c *checker, cfg Config, policy *commands.Policy) {
	client, err := datacake.New(datacake.Options{URL: cfg.DatacakeAPIURL, Token: cfg.DatacakeToken, MaxRetries: 1})
	if err != nil {
		c.fail("Datacake client: %v", err)
		return
	}
	me, err := checkDatacakeToken(ctx, client, cfg)
	if err != nil {
		c.failErr(err, "%v", err)
		if !isRefusal(err) && policy != nil {
			c.skip("the members permission in workspace %s: Datacake did not answer", policy.Workspace)
		}
		return
	}
	who := me.Email
	if me.IsAPIUser {
		who = "an API user"
	}
	c.ok("Datacake token belongs to %s", who)
	if policy == nil {
		return
	}
	perms, err := client.MyPermissions(ctx, policy.Workspace)
	switch {
	case errors.Is(err, datacake.ErrNotFound), errors.Is(err, datacake.ErrNotAuthorized):
		c.fail("workspace %s (policy: workspace) is not visible to the Datacake token: check the id, or add the token's user to the workspace", policy.Workspace)
	case err != nil:
		c.unavailable("Datacake did not answer about workspace %s (%v): check the network and DATACAKE_API_URL; the permission was not checked", policy.Workspace, err)
	case !slices.Contains(perms, "members"):
		c.fail("the Datacake token lacks the members permission in workspace %s (it has: %s): grant it under Workspace → Members, since cakegate creates and deletes API users", policy.Workspace, strings.Join(perms, ", "))
	default:
		c.ok("Datacake token has the members permission in workspace %s", policy.Workspace)
	}
	if err == nil {
		checkTemplateDevices(ctx, c, client, policy)
	}
}

func checkSlack(ctx context.Context, c *checker, cfg Config, policy *commands.Policy) {
	var opts []slack.Option
	if cfg.SlackAPIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.SlackAPIURL))
	}
	api := slack.New(cfg.SlackBotToken, opts...)
	auth, err := checkSlackAuth(ctx, api, cfg.SlackAPIURL)
	if err != nil {
		c.failErr(err, "%v", err)
		if !isRefusal(err) {
			c.skip("app-level token, approvals channel, approvers: Slack did not answer")
		}
		return
	}
	c.ok("Slack bot token works: @%s in %s", auth.User, auth.Team)
	checkIdentityPins(ctx, c, api, cfg, auth)
	if cfg.SlackAppToken != "" {
		appAPI := slack.New(cfg.SlackBotToken, append(opts, slack.OptionAppLevelToken(cfg.SlackAppToken))...)
		_, _, err := appAPI.StartSocketModeContext(ctx)
		switch code := slackAnswerCode(err); {
		case err == nil:
			c.ok("Slack app-level token works (Socket Mode)")
		case code != "":
			c.fail("SLACK_APP_TOKEN is refused by Slack (%s): create an app-level token with connections:write under Basic Information, and enable Socket Mode", code)
		default:
			c.unavailable("Slack did not answer apps.connections.open (%v): check the network; the app-level token was not checked", err)
		}
	}
	if policy == nil {
		return
	}
	// Every channel named, the policy's and each role's own, must let the bot post.
	for _, channel := range policy.Channels() {
		ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
		switch {
		case err != nil && slackAnswerCode(err) == "":
			c.unavailable("approvals_channel %s: Slack did not answer conversations.info (%v): check the network; the channel was not checked", channel, err)
		case err != nil:
			c.fail("approvals_channel %s: Slack says %s: check the channel id (open the channel, click its name, copy the Channel ID at the bottom of About), and for a private channel invite @%s first", channel, slackAnswerCode(err), auth.User)
		case !ch.IsMember:
			c.fail("the bot is not in the approvals channel #%s (%s): type /invite @%s there", ch.Name, channel, auth.User)
		default:
			c.ok("approvals channel #%s: the bot is a member and can post", ch.Name)
		}
	}
	checkPeople(ctx, c, api, "approvers", policy.Approvers)
	checkPeople(ctx, c, api, "escalate_to", policy.EscalateTo)
	if !policy.AllRequesters {
		checkPeople(ctx, c, api, "requesters", policy.Requesters)
	}
	for _, name := range policy.RoleOrder {
		role := policy.Roles[name]
		checkPeople(ctx, c, api, "role "+name+" approvers", role.Approvers)
		checkPeople(ctx, c, api, "role "+name+" requesters", role.Requesters)
		checkPeople(ctx, c, api, "role "+name+" escalate_to", role.EscalateTo)
	}
	checkTemplatePeople(ctx, c, api, policy)
	checkOnCallGroups(ctx, c, api, policy)
}

// checkUserGroup asks Slack for the members of user group id, which what names in the
// policy. When Slack did not answer (nothing to fix: try again) or refused (the id or the
// scope to fix), it notes which and found is false; whether an empty group is a fault is
// the caller's to say.
func checkUserGroup(ctx context.Context, c *checker, api *slack.Client, what, id string) (members []string, found bool) {
	members, err := api.GetUserGroupMembersContext(ctx, id)
	switch {
	case err != nil && slackAnswerCode(err) == "":
		c.unavailable("%s: user group %s: Slack did not answer (%v): check the network", what, id, err)
		return nil, false
	case err != nil:
		c.fail("%s: user group %s: Slack says %v: check the id (the group's page → ⋯ → Copy group ID) and the usergroups:read scope", what, id, err)
		return nil, false
	}
	return members, true
}

// checkPeople checks that every user id exists and every user group resolves.
func checkPeople(ctx context.Context, c *checker, api *slack.Client, what string, ids []string) {
	if len(ids) == 0 {
		return
	}
	bad := 0
	for _, id := range ids {
		if strings.HasPrefix(id, "S") {
			members, found := checkUserGroup(ctx, c, api, what, id)
			switch {
			case !found:
				bad++
			case len(members) == 0:
				bad++
				c.fail("%s: user group %s has no members, so nobody in it can act", what, id)
			}
			continue
		}
		u, err := api.GetUserInfoContext(ctx, id)
		switch {
		case err != nil && slackAnswerCode(err) == "":
			bad++
			c.unavailable("%s: user %s: Slack did not answer (%v): check the network", what, id, err)
		case err != nil:
			bad++
			c.fail("%s: user %s: Slack says %v: check the member id (profile → ⋯ → Copy member ID)", what, id, err)
		case u.Deleted:
			bad++
			c.fail("%s: user %s (@%s) is deactivated: remove or replace them in the policy", what, id, u.Name)
		}
	}
	if bad == 0 {
		c.ok("%s: all %d resolve in Slack", what, len(ids))
	}
}
