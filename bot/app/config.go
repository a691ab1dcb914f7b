package app

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cakegate/cakegate/state"
	"github.com/cakegate/cakegate/state/etcdstore"
)

// Config is cakegate's settings, read from the environment (docs/running.md → Settings).
type Config struct {
	SlackBotToken      string
	SlackAppToken      string // set: Socket Mode
	SlackSigningSecret string
	SlackAPIURL        string
	// SlackTeamID, SlackAppID and SlackEnterpriseID pin what Slack's auth.test and
	// bots.info must say at start; "" takes what they say.
	SlackTeamID       string
	SlackAppID        string
	SlackEnterpriseID string
	DatacakeToken     string
	// DatacakeTokenFile is where DatacakeToken was read from, if from a file: cakegate
	// re-reads it when it changes, so the token can be rotated without a restart.
	DatacakeTokenFile string
	DatacakeAPIURL    string
	DatacakeMaxRPS    float64
	DatacakeMaxConc   int
	PolicyPath        string
	DBPath            string
	Addr              string
	LogFormat         string // "text" or "json"
	// Command is the slash command as installed in Slack (CAKEGATE_COMMAND): the manifest
	// declares it and every text names it.
	Command string
	// Store is "bbolt" (DBPath) or "etcd" (Etcd).
	Store string
	Etcd  etcdstore.Config
	// EtcdSessionTTL is the lease of each replica's etcd session: how soon a dead
	// replica's leadership and outbox claims pass to another (DefaultSessionTTL if 0).
	EtcdSessionTTL time.Duration
	// AuditKey keys the audit chain (CAKEGATE_AUDIT_KEY_FILE, read from AuditKeyFile);
	// nil: the chain is unkeyed, and cakegate says so at start.
	AuditKey     *state.AuditKey
	AuditKeyFile string
	// auditKeySecrets are the forms of the key the redactor blanks.
	auditKeySecrets []string
}

// The defaults of the contract.
const (
	defaultDatacakeURL = "https://api.datacake.co/graphql/"
	defaultPolicyPath  = "cakegate.yaml"
	defaultDBPath      = "cakegate.db"
	defaultAddr        = ":3000"
	defaultCommand     = "/cakegate"
)

// configError lists every problem with the settings, one per line, each naming its variable.
type configError []string

func (e configError) Error() string { return strings.Join(e, "\n") }

// LoadConfig reads the settings serve needs. getenv is os.Getenv outside tests.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		SlackBotToken:      strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SlackAppToken:      strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SlackSigningSecret: strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		SlackAPIURL:        strings.TrimSpace(getenv("SLACK_API_URL")),
		SlackTeamID:        strings.TrimSpace(getenv("SLACK_TEAM_ID")),
		SlackAppID:         strings.TrimSpace(getenv("SLACK_APP_ID")),
		SlackEnterpriseID:  strings.TrimSpace(getenv("SLACK_ENTERPRISE_ID")),
		DatacakeAPIURL:     orDefault(strings.TrimSpace(getenv("DATACAKE_API_URL")), defaultDatacakeURL),
		PolicyPath:         orDefault(getenv("CAKEGATE_CONFIG"), defaultPolicyPath),
		DBPath:             orDefault(getenv("CAKEGATE_DB"), defaultDBPath),
		Addr:               orDefault(getenv("CAKEGATE_ADDR"), defaultAddr),
		LogFormat:          orDefault(getenv("CAKEGATE_LOG_FORMAT"), "text"),
		Command:            orDefault(strings.TrimSpace(getenv("CAKEGATE_COMMAND")), defaultCommand),
	}
	var problems configError
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	switch {
	case c.SlackBotToken == "":
		bad("SLACK_BOT_TOKEN is not set: give the bot token (xoxb-…) from your Slack app's OAuth & Permissions page.")
	case !strings.HasPrefix(c.SlackBotToken, "xoxb-"):
		bad("SLACK_BOT_TOKEN does not look like a bot token: it should start with xoxb-.")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		bad("SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp- (or unset it to use HTTP mode).")
	}
	if c.SlackAppToken == "" && c.SlackSigningSecret == "" {
		bad("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests from Slack (Basic Information → Signing Secret), or set SLACK_APP_TOKEN for Socket Mode.")
	}
	if c.SlackAPIURL != "" {
		if err := checkURL(c.SlackAPIURL); err != nil {
			bad("SLACK_API_URL %v", err)
		} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
			c.SlackAPIURL += "/"
		}
	}
	if err := checkURL(c.DatacakeAPIURL); err != nil {
		bad("DATACAKE_API_URL %v", err)
	}

	token, file := strings.TrimSpace(getenv("DATACAKE_TOKEN")), strings.TrimSpace(getenv("DATACAKE_TOKEN_FILE"))
	switch {
	case token != "" && file != "":
		bad("DATACAKE_TOKEN and DATACAKE_TOKEN_FILE are both set: keep one.")
	case token != "":
		c.DatacakeToken = token
	case file != "":
		data, err := os.ReadFile(file)
		switch {
		case err != nil:
			bad("DATACAKE_TOKEN_FILE: %s", unreadableFile(file, err))
		case strings.TrimSpace(string(data)) == "":
			bad("DATACAKE_TOKEN_FILE: %s is empty.", file)
		default:
			c.DatacakeToken = strings.TrimSpace(string(data))
			c.DatacakeTokenFile = file
		}
	default:
		bad("DATACAKE_TOKEN (or DATACAKE_TOKEN_FILE) is not set: give a Datacake token with the members permission in the workspace.")
	}

	c.DatacakeMaxRPS = 10
	if v := getenv("DATACAKE_MAX_RPS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 10000 {
			bad("DATACAKE_MAX_RPS=%q: give requests per second as a number between 0 and 10000, like 10.", v)
		}
		c.DatacakeMaxRPS = f
	}
	c.DatacakeMaxConc = 8
	if v := getenv("DATACAKE_MAX_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1024 {
			bad("DATACAKE_MAX_CONCURRENCY=%q: give a whole number between 1 and 1024, like 8.", v)
		}
		c.DatacakeMaxConc = n
	}
	if msg := checkCommandName(c.Command); msg != "" {
		bad("CAKEGATE_COMMAND=%s", msg)
	}
	if msg := checkAddr(c.Addr); msg != "" {
		bad("%s", msg)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("CAKEGATE_LOG_FORMAT=%q: use text or json.", c.LogFormat)
	}
	loadStoreConfig(&c, getenv, bad)
	auditKey, problem := loadAuditKey(getenv)
	if problem != "" {
		bad("%s", problem)
	}
	c.AuditKey, c.AuditKeyFile, c.auditKeySecrets = auditKey.Key, auditKey.File, auditKey.secrets
	if len(problems) > 0 {
		return c, problems
	}
	return c, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// datacakeTokenVariable names the setting the Datacake token came from, for messages.
func (c Config) datacakeTokenVariable() string {
	if c.DatacakeTokenFile != "" {
		return "the token in DATACAKE_TOKEN_FILE (" + c.DatacakeTokenFile + ")"
	}
	return "DATACAKE_TOKEN"
}

// secrets lists the configured secrets, for redaction.
func (c Config) secrets() []string {
	var out []string
	for _, s := range append([]string{c.SlackBotToken, c.SlackAppToken, c.SlackSigningSecret, c.DatacakeToken}, c.auditKeySecrets...) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// LogValue keeps the secrets out of a log line that records the configuration.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("socket_mode", c.SlackAppToken != ""),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("datacake_api_url", c.DatacakeAPIURL),
		slog.Float64("datacake_max_rps", c.DatacakeMaxRPS),
		slog.Int("datacake_max_concurrency", c.DatacakeMaxConc),
		slog.String("config", c.PolicyPath),
		slog.String("store", describeStore(c)),
		slog.String("audit_key_file", c.AuditKeyFile),
		slog.String("addr", c.Addr),
		slog.String("command", c.Command),
	)
}

// String keeps the secrets out of a printed configuration.
func (c Config) String() string { return c.LogValue().String() }

// GoString keeps the secrets out of %#v.
func (c Config) GoString() string { return c.String() }
