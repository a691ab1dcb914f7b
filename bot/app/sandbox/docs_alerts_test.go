package sandbox

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cakegate/cakegate/bot/app/apptest"
)

// TestDocsAlertRules: the example alert rules in docs/running.md parse as Prometheus rule
// groups and use only metrics cakegate serves (besides Prometheus' own up), so an operator
// who copies them gets rules that can fire.
func TestDocsAlertRules(t *testing.T) {
	rules, block := docsAlertRules(t)
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	// The API users' gauges follow the last reconcile: run one, rather than race the one at
	// start.
	if err := s.tick(ctx); err != nil {
		t.Fatal(err)
	}
	scraped := apptest.Scrape(t, ctx, s.baseURL)
	metric := regexp.MustCompile(`cakegate_[a-z_]+`)
	for _, r := range rules {
		for _, name := range metric.FindAllString(r.Expr, -1) {
			if !strings.Contains(scraped.Text, "\n"+name) {
				t.Errorf("alert %s uses %s, which cakegate does not serve", r.Alert, name)
			}
		}
	}
	for _, want := range []string{"NotReady", "RevocationsFailing", "OutboxStuck", "GrantPastItsEnd"} {
		if !strings.Contains(block, "Cakegate"+want) {
			t.Errorf("the alert rules in docs/running.md lack one for %s", want)
		}
	}
	t.Logf("%d rules checked", len(rules))
}

// TestRevocationAlertLeavesOutNotFound: the example alert CakegateRevocationErrors must not
// fire on kind="not_found": Datacake answering a delete with "not found" means the API user
// was deleted by hand in the portal, which cakegate counts as deleted (normal, not an
// error to page anyone about).
func TestRevocationAlertLeavesOutNotFound(t *testing.T) {
	rules, _ := docsAlertRules(t)
	found := false
	for _, r := range rules {
		if r.Alert != "CakegateRevocationErrors" {
			continue
		}
		found = true
		if !strings.Contains(strings.ReplaceAll(r.Expr, " ", ""), `kind!="not_found"`) {
			t.Errorf("CakegateRevocationErrors counts kind=\"not_found\", a hand-deleted API user: %s", r.Expr)
		}
	}
	if !found {
		t.Error("docs/running.md has no CakegateRevocationErrors alert")
	}
}

// alertRule is one rule of the example alert rules.
type alertRule struct {
	Alert string `yaml:"alert"`
	Expr  string `yaml:"expr"`
}

// docsAlertRules reads the example alert rules of docs/running.md: each rule, and the YAML
// block they are in.
func docsAlertRules(t *testing.T) ([]alertRule, string) {
	t.Helper()
	doc, err := os.ReadFile("../../../docs/running.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "\n## Alert rules\n")
	if !ok {
		t.Fatal("docs/running.md has no Alert rules section")
	}
	_, block, _ := strings.Cut(rest, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	var parsed struct {
		Groups []struct {
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(block), &parsed); err != nil || len(parsed.Groups) == 0 {
		t.Fatalf("the alert rules do not parse (%v):\n%s", err, block)
	}
	var rules []alertRule
	for _, g := range parsed.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules, block
}
