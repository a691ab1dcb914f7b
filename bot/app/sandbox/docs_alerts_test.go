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
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(block), &rules); err != nil || len(rules.Groups) == 0 {
		t.Fatalf("the alert rules do not parse (%v):\n%s", err, block)
	}
	s := startSandbox(t, sandboxOptions{})
	scraped := apptest.Scrape(t, testContext(t), s.baseURL)
	metric := regexp.MustCompile(`cakegate_[a-z_]+`)
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			for _, name := range metric.FindAllString(r.Expr, -1) {
				if !strings.Contains(scraped.Text, "\n"+name) {
					t.Errorf("alert %s uses %s, which cakegate does not serve", r.Alert, name)
				}
			}
		}
	}
	for _, want := range []string{"NotReady", "RevocationsFailing", "OutboxStuck", "GrantPastItsEnd"} {
		if !strings.Contains(block, "Cakegate"+want) {
			t.Errorf("the alert rules in docs/running.md lack one for %s", want)
		}
	}
	t.Logf("%d rules checked", n)
}
