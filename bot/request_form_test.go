package bot_test

import (
	"encoding/json"
	"testing"
)

// TestRequestFormPreselectsARole: with two roles to choose from, the form opens with the
// first one chosen, so the device search and a submission that leaves the role alone
// both have one.
func TestRequestFormPreselectsARole(t *testing.T) {
	f := newHostileFixture(t)
	f.slash(t, "U0ALICE", "request")
	if err := f.bot.Shutdown(homeContext(t)); err != nil {
		t.Fatal(err)
	}
	calls := f.slack.CallsTo("views.open")
	if len(calls) != 1 || !calls[0].OK() {
		t.Fatalf("views.open calls: %+v", calls)
	}
	var view struct {
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			BlockID string `json:"block_id"`
			Element struct {
				InitialOption *struct {
					Value string `json:"value"`
				} `json:"initial_option"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(calls[0].Params["view"]), &view); err != nil {
		t.Fatal(err)
	}
	for _, b := range view.Blocks {
		if b.BlockID != "role" {
			continue
		}
		if b.Element.InitialOption == nil || b.Element.InitialOption.Value != "viewer" {
			t.Fatalf("the role select starts at %+v, want viewer", b.Element.InitialOption)
		}
		if view.PrivateMetadata != "viewer" {
			t.Fatalf("the form remembers role %q, want viewer", view.PrivateMetadata)
		}
		return
	}
	t.Fatal("the form has no role block")
}
