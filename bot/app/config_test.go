package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

func validEnv() map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1",
		"SLACK_SIGNING_SECRET": "shh",
		"DATACAKE_TOKEN":       "dc-token",
	}
}

func TestLoadConfig(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  map[string]string
		wantErr string // substring naming the variable; "" for valid
	}{
		{"OK", nil, ""},
		{"OKSocketModeWithoutSecret", map[string]string{"SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": ""}, ""},
		{"OKTokenFile", map[string]string{"DATACAKE_TOKEN": "", "DATACAKE_TOKEN_FILE": tokenFile}, ""},
		{"ErrNoBotToken", map[string]string{"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set"},
		{"ErrNotABotToken", map[string]string{"SLACK_BOT_TOKEN": "xoxp-1"}, "SLACK_BOT_TOKEN does not look like a bot token"},
		{"ErrAppToken", map[string]string{"SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN does not look like"},
		{"ErrNoSecretInHTTPMode", map[string]string{"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"},
		{"ErrNoDatacakeToken", map[string]string{"DATACAKE_TOKEN": ""}, "DATACAKE_TOKEN (or DATACAKE_TOKEN_FILE) is not set"},
		{"ErrBothTokens", map[string]string{"DATACAKE_TOKEN_FILE": tokenFile}, "both set"},
		{"ErrTokenFileMissing", map[string]string{"DATACAKE_TOKEN": "", "DATACAKE_TOKEN_FILE": "/nonexistent/token"}, "DATACAKE_TOKEN_FILE: cannot read"},
		{"ErrRPS", map[string]string{"DATACAKE_MAX_RPS": "fast"}, "DATACAKE_MAX_RPS"},
		{"ErrRPSZero", map[string]string{"DATACAKE_MAX_RPS": "0"}, "DATACAKE_MAX_RPS"},
		{"ErrConcurrency", map[string]string{"DATACAKE_MAX_CONCURRENCY": "-1"}, "DATACAKE_MAX_CONCURRENCY"},
		{"ErrDatacakeURL", map[string]string{"DATACAKE_API_URL": "ftp://x"}, "DATACAKE_API_URL"},
		{"ErrSlackURL", map[string]string{"SLACK_API_URL": "not a url"}, "SLACK_API_URL"},
		{"ErrLogFormat", map[string]string{"CAKEGATE_LOG_FORMAT": "xml"}, "CAKEGATE_LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			for k, v := range tt.change {
				env[k] = v
			}
			cfg, err := LoadConfig(apptest.EnvOf(env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
			for _, s := range cfg.secrets() {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("the error %q shows a secret", err)
				}
			}
		})
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(apptest.EnvOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatacakeAPIURL != "https://api.datacake.co/graphql/" || cfg.DatacakeMaxRPS != 10 || cfg.DatacakeMaxConc != 8 ||
		cfg.PolicyPath != "cakegate.yaml" || cfg.DBPath != "cakegate.db" || cfg.Addr != ":3000" {
		t.Fatalf("got %+v, want the contract's defaults", cfg)
	}
}

func TestLoadConfigListsEveryProblem(t *testing.T) {
	_, err := LoadConfig(apptest.EnvOf(map[string]string{}))
	if err == nil {
		t.Fatal("empty environment accepted")
	}
	for _, v := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATACAKE_TOKEN"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("the error does not name %s:\n%s", v, err)
		}
	}
}

func TestConfigHidesSecrets(t *testing.T) {
	cfg, err := LoadConfig(apptest.EnvOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	log := slog.New(slog.NewJSONHandler(&b, nil))
	log.Info("config", "cfg", cfg)
	fmt.Fprintf(&b, "%v %+v %#v %s", cfg, cfg, cfg, cfg)
	for _, s := range cfg.secrets() {
		if strings.Contains(b.String(), s) {
			t.Fatalf("secret %q shown in %s", s, b.String())
		}
	}
}
