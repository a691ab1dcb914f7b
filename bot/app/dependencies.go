package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/datacake"
)

// dependencyError is a failed check of Slack or Datacake. Refused means the service
// answered and said no to the credential: no retry mends that, so serve stops and
// check-config blames the setting. Otherwise the service could not be reached or answered
// badly: serve retries and /readyz shows it, and check-config blames the network.
type dependencyError struct {
	Refused bool
	msg     string
	err     error
}

func (e *dependencyError) Error() string { return e.msg }
func (e *dependencyError) Unwrap() error { return e.err }

// isRefusal reports whether err is a dependency that refused its credential.
func isRefusal(err error) bool {
	var de *dependencyError
	return errors.As(err, &de) && de.Refused
}

// slackRefusals are the Slack errors that say the token itself is no good. slack-go's
// Socket Mode stops on the same ones.
var slackRefusals = []string{"invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired"}

// slackRefusal returns Slack's error code if err is a refusal of the token, else "".
func slackRefusal(err error) string {
	var resp slack.SlackErrorResponse
	if errors.As(err, &resp) && slices.Contains(slackRefusals, resp.Err) {
		return resp.Err
	}
	if err != nil && slices.Contains(slackRefusals, err.Error()) {
		return err.Error()
	}
	return ""
}

// checkSlackAuth asks Slack who the bot token belongs to (auth.test, tier 4 and cheap).
func checkSlackAuth(ctx context.Context, api *slack.Client, apiURL string) (*slack.AuthTestResponse, error) {
	auth, err := api.AuthTestContext(ctx)
	if err == nil {
		return auth, nil
	}
	if code := slackRefusal(err); code != "" {
		return nil, &dependencyError{Refused: true, err: err, msg: fmt.Sprintf(
			"SLACK_BOT_TOKEN is refused by Slack (%s): copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page", code)}
	}
	var resp slack.SlackErrorResponse
	if errors.As(err, &resp) {
		// Slack answered, with something other than a verdict on the token.
		return nil, &dependencyError{err: err, msg: fmt.Sprintf("Slack answered auth.test with %s: the bot token could not be checked", resp.Err)}
	}
	return nil, &dependencyError{err: err, msg: fmt.Sprintf(
		"Slack at %s did not answer (%v): check the network and SLACK_API_URL; the bot token was not checked", slackURLOrDefault(apiURL), err)}
}

func slackURLOrDefault(u string) string {
	if u == "" {
		return slack.APIURL
	}
	return u
}

// checkDatacakeToken asks Datacake whose the token is: the cheapest query it answers.
func checkDatacakeToken(ctx context.Context, client *datacake.Client, cfg Config) (datacake.Me, error) {
	me, err := client.Me(ctx)
	switch {
	case err == nil:
		return me, nil
	case errors.Is(err, datacake.ErrUnauthenticated):
		return me, &dependencyError{Refused: true, err: err, msg: fmt.Sprintf(
			"%s is refused by Datacake (HTTP 401): create a token in Datacake (Account → API) and set it again", cfg.datacakeTokenVariable())}
	default:
		return me, &dependencyError{err: err, msg: fmt.Sprintf(
			"Datacake at %s does not answer (%v): check the network and DATACAKE_API_URL; the token was not checked", cfg.DatacakeAPIURL, err)}
	}
}

// slackAnswerCode returns the error code Slack answered with (ok:false), or "" when err is
// nil or Slack gave no answer (network, HTTP status): the line between a refusal and an
// outage.
func slackAnswerCode(err error) string {
	var resp slack.SlackErrorResponse
	if errors.As(err, &resp) {
		return resp.Err
	}
	return ""
}
