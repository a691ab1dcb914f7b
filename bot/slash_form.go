package bot

import (
	"bytes"
	"errors"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// parseSlashCommand reads a slash command from the form Slack posts
// (application/x-www-form-urlencoded), as slack.SlashCommandParse reads it from the body: the
// first value of each field, and an error for a form url.ParseQuery refuses. It reads the
// body once and builds no maps: it runs on every command's way to its acknowledgement, where
// parsing through http.Request.ParseForm was two thirds of the handler's time. Unlike
// ParseForm it ignores the URL's query, which Slack does not sign.
func parseSlashCommand(body []byte) (slack.SlashCommand, error) {
	// url.ParseQuery's own bound on a form's fields.
	if bytes.Count(body, []byte("&"))+1 > maxFormFields {
		return slack.SlashCommand{}, errors.New("number of URL query parameters exceeded limit")
	}
	var sc slack.SlashCommand
	var enterpriseInstall string
	var seen uint16 // the fields set, by slashField's bit: a repeated field's first value counts
	var firstErr error
	for form := string(body); form != ""; {
		var pair string
		pair, form, _ = strings.Cut(form, "&")
		if strings.Contains(pair, ";") {
			if firstErr == nil {
				firstErr = errors.New("invalid semicolon separator in query")
			}
			continue
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(key)
		if err == nil {
			value, err = url.QueryUnescape(value)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		field, bit := slashField(&sc, &enterpriseInstall, key)
		if field != nil && seen&bit == 0 {
			seen |= bit
			*field = value
		}
	}
	if firstErr != nil {
		return slack.SlashCommand{}, firstErr
	}
	sc.IsEnterpriseInstall = enterpriseInstall == "true"
	return sc, nil
}

// maxFormFields is url.ParseQuery's limit on a form's fields (10,000, unless GODEBUG's
// urlmaxqueryparams says otherwise): a form with more is refused whole.
const maxFormFields = 10000

// slashField is where the form field key goes, and its bit among the fields; nil for a
// field slack.SlashCommandParse does not read.
func slashField(sc *slack.SlashCommand, enterpriseInstall *string, key string) (*string, uint16) {
	switch key {
	case "token":
		return &sc.Token, 1 << 0
	case "team_id":
		return &sc.TeamID, 1 << 1
	case "team_domain":
		return &sc.TeamDomain, 1 << 2
	case "enterprise_id":
		return &sc.EnterpriseID, 1 << 3
	case "enterprise_name":
		return &sc.EnterpriseName, 1 << 4
	case "is_enterprise_install":
		return enterpriseInstall, 1 << 5
	case "channel_id":
		return &sc.ChannelID, 1 << 6
	case "channel_name":
		return &sc.ChannelName, 1 << 7
	case "user_id":
		return &sc.UserID, 1 << 8
	case "user_name":
		return &sc.UserName, 1 << 9
	case "command":
		return &sc.Command, 1 << 10
	case "text":
		return &sc.Text, 1 << 11
	case "response_url":
		return &sc.ResponseURL, 1 << 12
	case "trigger_id":
		return &sc.TriggerID, 1 << 13
	case "api_app_id":
		return &sc.APIAppID, 1 << 14
	}
	return nil, 0
}
