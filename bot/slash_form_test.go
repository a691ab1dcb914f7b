package bot

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// slackGoParse is slack-go's own reading of a slash command's form body, which
// parseSlashCommand must match.
func slackGoParse(t *testing.T, body []byte) (slack.SlashCommand, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://cakegate.test/slack/commands", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return slack.SlashCommandParse(req)
}

// TestParseSlashCommandFieldLimit: a form of more than 10,000 fields is refused, as
// slack-go (url.ParseQuery) refuses it; one of 10,000 is read. Fuzzing does not reach
// bodies that long.
func TestParseSlashCommandFieldLimit(t *testing.T) {
	for _, n := range []int{maxFormFields, maxFormFields + 1} {
		body := []byte("user_id=U1" + strings.Repeat("&x=", n-1))
		_, wantErr := slackGoParse(t, body)
		sc, err := parseSlashCommand(body)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%d fields: error %v; slack-go's: %v", n, err, wantErr)
		}
		if err == nil && sc.UserID != "U1" {
			t.Errorf("%d fields: user %q, want U1", n, sc.UserID)
		}
	}
}

// FuzzParseSlashCommand holds parseSlashCommand to slack-go's SlashCommandParse, on any
// body: the same command from the same form, and an error for the same forms.
func FuzzParseSlashCommand(f *testing.F) {
	for _, seed := range []string{
		"token=t&team_id=T0TEAM&team_domain=acme&channel_id=C1&channel_name=general&user_id=U1&user_name=ann&command=%2Fcakegate&text=request+role%3Dviewer+reason%3D%22a+b%22&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1&trigger_id=1.2.3&api_app_id=A1&is_enterprise_install=false",
		"enterprise_id=E1&enterprise_name=Big&is_enterprise_install=true&user_id=U1&user_id=U2",
		"text=%zz&user_id=U1",
		"text=a;b",
		"user_id=U1&&=&text&=x&%75ser_name=ann",
		"text=100%25+sure&text=second",
		"is_enterprise_install=True",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := slackGoParse(t, body)
		got, err := parseSlashCommand(body)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("parseSlashCommand(%q) error = %v; slack-go's: %v", body, err, wantErr)
		}
		if err == nil && got != want {
			t.Fatalf("parseSlashCommand(%q)\n = %+v\nslack-go's %+v", body, got, want)
		}
	})
}
