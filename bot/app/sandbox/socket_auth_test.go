package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app"
	"github.com/cakegate/cakegate/bot/app/apptest"
	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/cakegate/cakegate/datacake/datacaketest"
)

// TestServeStopsWhenSlackRefusesTheAppToken: in Socket Mode a refused app-level token is
// fatal (no amount of reconnecting mends it): serve stops with a message saying which
// setting to check, and exits 2 (a token to fix: restarting will not mend it).
func TestServeStopsWhenSlackRefusesTheAppToken(t *testing.T) {
	ctx := testContext(t)
	fakeSlack := slacktest.New()
	fakeSlack.Start()
	defer fakeSlack.Close()
	fakeDC := datacaketest.NewServer(t)
	fakeDC.AddWorkspace(sandboxWorkspace, "Acme", "acme")
	fakeDC.AddToken(sandboxDCToken, map[string][]string{sandboxWorkspace: {"members"}})
	dir := t.TempDir()
	policy := filepath.Join(dir, "cakegate.yaml")
	if err := os.WriteFile(policy, []byte(sandboxPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SLACK_BOT_TOKEN": slacktest.DefaultBotToken, "SLACK_APP_TOKEN": "xapp-revoked-long-ago",
		"SLACK_API_URL": fakeSlack.URL(), "DATACAKE_TOKEN": sandboxDCToken, "DATACAKE_API_URL": fakeDC.URL(),
		"CAKEGATE_CONFIG": policy, "CAKEGATE_DB": filepath.Join(dir, "cakegate.db"), "CAKEGATE_ADDR": "127.0.0.1:0",
	}
	var stderr bytes.Buffer
	code := app.Serve(ctx, nil, apptest.EnvOf(env), &stderr)
	if code != 2 {
		t.Fatalf("serve exited %d with a refused app token, want 2:\n%s", code, stderr.String())
	}
	out := stderr.String()
	if !strings.Contains(out, "invalid_auth") || !strings.Contains(out, "SLACK_APP_TOKEN") {
		t.Fatalf("the message does not say what to fix:\n%s", out)
	}
	// The bot token works (auth.test said so): the line names only the app-level token.
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "invalid_auth") && strings.Contains(l, "SLACK_BOT_TOKEN") {
			t.Fatalf("the refusal names SLACK_BOT_TOKEN too:\n%s", l)
		}
	}
	if strings.Contains(out, "xapp-revoked-long-ago") {
		t.Fatalf("the log shows the app token:\n%s", out)
	}
}
