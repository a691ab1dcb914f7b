package app

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The Slack app manifest cakegate needs: bot scopes, the slash command, interactivity,
// events (App Home) and either request URLs or Socket Mode. Field names follow Slack's
// manifest schema.
type manifest struct {
	DisplayInformation struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTabEnabled             bool `yaml:"home_tab_enabled"`
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		Shortcuts     []manifestShortcut `yaml:"shortcuts,omitempty"`
		SlashCommands []manifestCommand  `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url,omitempty"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled             bool   `yaml:"is_enabled"`
			RequestURL            string `yaml:"request_url,omitempty"`
			MessageMenuOptionsURL string `yaml:"message_menu_options_url,omitempty"`
		} `yaml:"interactivity"`
		OrgDeployEnabled  bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
		TokenRotation     bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

type manifestCommand struct {
	Command      string `yaml:"command"`
	URL          string `yaml:"url,omitempty"`
	Description  string `yaml:"description"`
	UsageHint    string `yaml:"usage_hint"`
	ShouldEscape bool   `yaml:"should_escape"`
}

type manifestShortcut struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	CallbackID  string `yaml:"callback_id"`
	Description string `yaml:"description"`
}

// botScopes are the bot token scopes cakegate uses, each for one reason.
var botScopes = []string{
	"commands",         // the slash command and shortcuts
	"chat:write",       // approval messages, updates, replies
	"im:write",         // open the direct messages that carry Reveal buttons and reminders
	"users:read",       // check that approvers exist (check-config); which app the bot is (bots.info); user_change and the leavers sweep
	"channels:history", // message.channels: a token pasted in a channel cakegate is in is revoked
	"groups:history",   // message.groups: … in a private channel
	"im:history",       // message.im: … in a DM with cakegate; find pre-Reveal token DMs to edit
	"usergroups:read",  // approvers and requesters given as user groups
	"channels:read",    // check the approvals channel (check-config)
	"groups:read",      // … when it is private
}

// botEvents are the events cakegate subscribes to: App Home, leak response (every message
// in a conversation cakegate is in, edits included) and offboarding.
var botEvents = []string{"app_home_opened", "message.channels", "message.groups", "message.im", "user_change"}

// buildManifest returns the manifest for a cakegate reachable at baseURL, or in Socket
// Mode when baseURL is empty.
func buildManifest(name, command, baseURL string) manifest {
	var m manifest
	m.DisplayInformation.Name = name
	m.DisplayInformation.Description = "Scoped, time-limited Datacake tokens with an owner's approval"
	m.DisplayInformation.LongDescription = "Ask for a Datacake API token with exactly the permissions and devices you need; an owner approves it with a click; you reveal the token in a private window, never in a message; cakegate reminds you before it expires, and deletes it when it expires, is revoked, is pasted in a channel it reads, or you leave. Every decision is recorded."
	m.DisplayInformation.BackgroundColor = "#4a2c2a"
	m.Features.AppHome.HomeTabEnabled = true
	m.Features.AppHome.MessagesTabEnabled = true
	m.Features.AppHome.MessagesTabReadOnlyEnabled = true
	m.Features.BotUser.DisplayName = name
	m.Features.BotUser.AlwaysOnline = true
	m.Features.Shortcuts = []manifestShortcut{{
		Name: "Ask for a Datacake token", Type: "global", CallbackID: "cakegate_request",
		Description: "Opens the request form",
	}}
	cmd := manifestCommand{
		Command:     command,
		Description: "Ask for, approve and manage Datacake tokens",
		UsageHint:   `request role=viewer devices=SERIAL for=8h reason="…" | list | help`,
	}
	m.OAuthConfig.Scopes.Bot = botScopes
	m.Settings.EventSubscriptions.BotEvents = botEvents
	m.Settings.Interactivity.IsEnabled = true
	if baseURL == "" {
		m.Settings.SocketModeEnabled = true
	} else {
		base := strings.TrimRight(baseURL, "/")
		cmd.URL = base + "/slack/commands"
		m.Settings.Interactivity.RequestURL = base + "/slack/interactions"
		m.Settings.Interactivity.MessageMenuOptionsURL = base + "/slack/interactions"
		m.Settings.EventSubscriptions.RequestURL = base + "/slack/events"
	}
	m.Features.SlashCommands = []manifestCommand{cmd}
	return m
}

// Manifest is `cakegate manifest [--url URL | --socket-mode] [--command /cakegate] [--name cakegate]`.
// Without --url it prints the Socket Mode manifest, which needs no public URL, and says so
// on stderr. The command defaults to CAKEGATE_COMMAND, so the app Slack creates has the
// command the bot's texts name.
func Manifest(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	const usage = "usage: cakegate manifest [--url https://cakegate.example.com | --socket-mode] [--command /cakegate] [--name cakegate]"
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "public https URL where Slack reaches cakegate in HTTP mode, e.g. https://cakegate.example.com")
	socket := fs.Bool("socket-mode", false, "use Socket Mode: no public URL needed (the default without --url)")
	command := fs.String("command", orDefault(strings.TrimSpace(getenv("CAKEGATE_COMMAND")), defaultCommand), "the slash command (default: CAKEGATE_COMMAND, else /cakegate)")
	name := fs.String("name", "cakegate", "the app's name in Slack")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, usage)
		return usageExit(err)
	}
	switch {
	case *socket && *base != "":
		fmt.Fprintln(stderr, "cakegate manifest: give --url or --socket-mode, not both")
		return ExitFix
	case *base != "":
		u, err := url.Parse(*base)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			fmt.Fprintf(stderr, "cakegate manifest: --url %q: Slack needs a public https URL\n", *base)
			return ExitFix
		}
	case !*socket:
		fmt.Fprintln(stderr, "cakegate manifest: no --url given, so this is the Socket Mode manifest (no public URL needed; run cakegate with SLACK_APP_TOKEN). For HTTP mode: cakegate manifest --url https://…")
	}
	if msg := checkCommandName(*command); msg != "" {
		fmt.Fprintf(stderr, "cakegate manifest: --command %s\n", msg)
		return ExitFix
	}
	if strings.TrimSpace(*name) == "" || len(*name) > 35 {
		fmt.Fprintf(stderr, "cakegate manifest: --name %q: give the app a name of 1 to 35 characters\n", *name)
		return ExitFix
	}
	out, err := yaml.Marshal(buildManifest(*name, *command, *base))
	if err != nil {
		fmt.Fprintln(stderr, "cakegate manifest:", err)
		return ExitRetry
	}
	fmt.Fprint(stdout, "# Slack app manifest for cakegate: api.slack.com/apps → Create New App → From an app manifest\n")
	stdout.Write(out)
	return ExitOK
}
