package commands_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cakegate/cakegate/commands"
)

// TestPolicyReferenceListsEveryKey: the policy reference (docs/policy.md, "Every key") is
// what operators write their policy from, so every key the parser accepts must appear in it.
func TestPolicyReferenceListsEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "policy.md"))
	if err != nil {
		t.Fatalf("the policy reference: %v", err)
	}
	_, ref, ok := strings.Cut(string(data), "\n## Every key\n")
	if !ok {
		t.Fatal("docs/policy.md has no \"Every key\" section")
	}
	ref, _, _ = strings.Cut(ref, "\n## ")
	for where, keys := range commands.PolicyKeys {
		for _, key := range keys {
			if !strings.Contains(ref, " "+key+":") && !strings.Contains(ref, "\n"+key+":") && !strings.Contains(ref, "{"+key+":") {
				t.Errorf("docs/policy.md does not list the %s key %q", where, key)
			}
		}
	}
}
