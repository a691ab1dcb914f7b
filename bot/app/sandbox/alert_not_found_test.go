package sandbox

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestRevocationAlertLeavesOutNotFound: the example alert CakegateRevocationErrors must not
// fire on kind="not_found": Datacake answering a delete with "not found" means the API user
// was deleted by hand in the portal, which cakegate counts as deleted (normal, not an
// error to page anyone about).
func TestRevocationAlertLeavesOutNotFound(t *testing.T) {
	running, err := os.ReadFile("../../../docs/running.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(running), "\n## Alert rules\n")
	if !ok {
		readme, _ := os.ReadFile("../../../README.md")
		if strings.Contains(string(readme), "### Alert rules") {
			// Before the docs move the rules were the README's, which this branch may not edit;
			// docs/running.md holds them once the move is merged.
			t.Skip("the alert rules are still in README.md, not yet in docs/running.md")
		}
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
	if err := yaml.Unmarshal([]byte(block), &rules); err != nil {
		t.Fatalf("the alert rules do not parse: %v", err)
	}
	found := false
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert != "CakegateRevocationErrors" {
				continue
			}
			found = true
			if !strings.Contains(strings.ReplaceAll(r.Expr, " ", ""), `kind!="not_found"`) {
				t.Errorf("CakegateRevocationErrors counts kind=\"not_found\", a hand-deleted API user: %s", r.Expr)
			}
		}
	}
	if !found {
		t.Error("docs/running.md has no CakegateRevocationErrors alert")
	}
}
