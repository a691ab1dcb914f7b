package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// Signature returns the X-Slack-Signature Slack computes for body sent at ts:
// "v0=" and the hex HMAC-SHA256 of "v0:<ts>:<body>" keyed with the signing secret.
func Signature(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts.Unix())
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignRequest sets X-Slack-Request-Timestamp and X-Slack-Signature on req as
// Slack does for an HTTP-mode request with body sent at now. The body itself
// is not touched: build req with the same bytes.
func SignRequest(req *http.Request, body []byte, secret string, now time.Time) {
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Signature(secret, now, body))
}

// SlashCommandForm encodes a slash command as the form body Slack posts to a
// slash command's Request URL (Content-Type application/x-www-form-urlencoded),
// in the fields slack.SlashCommandParse reads.
func SlashCommandForm(cmd slack.SlashCommand) []byte {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("token", cmd.Token)
	set("team_id", cmd.TeamID)
	set("team_domain", cmd.TeamDomain)
	set("enterprise_id", cmd.EnterpriseID)
	set("enterprise_name", cmd.EnterpriseName)
	v.Set("is_enterprise_install", strconv.FormatBool(cmd.IsEnterpriseInstall))
	set("channel_id", cmd.ChannelID)
	set("channel_name", cmd.ChannelName)
	set("user_id", cmd.UserID)
	set("user_name", cmd.UserName)
	v.Set("command", cmd.Command)
	v.Set("text", cmd.Text)
	set("response_url", cmd.ResponseURL)
	set("trigger_id", cmd.TriggerID)
	set("api_app_id", cmd.APIAppID)
	return []byte(v.Encode())
}

// InteractionForm encodes an interaction as the form body Slack posts to the
// Interactivity Request URL: one field, payload, holding the JSON.
func InteractionForm(cb slack.InteractionCallback) ([]byte, error) {
	payload, err := json.Marshal(&cb) // MarshalJSON has a pointer receiver
	if err != nil {
		return nil, fmt.Errorf("slacktest: encoding interaction: %w", err)
	}
	return []byte(url.Values{"payload": {string(payload)}}.Encode()), nil
}

// SignedRequest builds a POST of a form body to target, signed with secret at
// now, ready for an HTTP-mode handler or http.Client.
func SignedRequest(target string, body []byte, secret string, now time.Time) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	SignRequest(req, body, secret, now)
	return req, nil
}
