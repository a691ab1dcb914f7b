package slacktest_test

import (
	"testing"
	"time"

	"github.com/cakegate/cakegate/bot/slacktest"
	"github.com/slack-go/slack"
)

func modal(title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain(title), Close: plain("Cancel"), Submit: plain("Ask"),
		CallbackID: "request", PrivateMetadata: `{"channel":"C0REQ"}`,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", plain("Why?"), nil, slack.NewPlainTextInputBlockElement(plain("Because"), "reason_input")),
		}},
	}
}

func TestViewsOpen(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	srv := mustStart(t, slacktest.WithClock(clock))
	api := client(srv)

	t.Run("OK", func(t *testing.T) {
		resp, err := api.OpenView(srv.NewTriggerID(alice.ID), modal("Request access"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.ID == "" || resp.Hash == "" || resp.CallbackID != "request" || resp.Title.Text != "Request access" {
			t.Fatalf("OpenView = %+v", resp.View)
		}
		views := srv.Views(alice.ID)
		if len(views) != 1 || views[0].ID != resp.ID || views[0].PrivateMetadata != `{"channel":"C0REQ"}` {
			t.Fatalf("Views = %+v", views)
		}
		if got, want := srv.RenderView(views[0]), "== Request access ==\nWhy?: [Because ▾]\n[Ask] [Cancel]"; got != want {
			t.Fatalf("RenderView = %q, want %q", got, want)
		}
	})

	trigger := srv.NewTriggerID(bob.ID)
	tests := []struct {
		name, trigger, want string
		advance             time.Duration
	}{
		{"ErrInvalidTrigger", "123.456.abc", "invalid_trigger_id", 0},
		{"ErrExpiredTrigger", srv.NewTriggerID(bob.ID), "expired_trigger_id", 3*time.Second + time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now = now.Add(tc.advance)
			if _, err := api.OpenView(tc.trigger, modal("x")); slackErr(err) != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}

	t.Run("ErrExchangedTrigger", func(t *testing.T) {
		trigger = srv.NewTriggerID(bob.ID)
		if _, err := api.OpenView(trigger, modal("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := api.OpenView(trigger, modal("x")); slackErr(err) != "exchanged_trigger_id" {
			t.Fatalf("got %v, want exchanged_trigger_id", err)
		}
	})
}

func TestViewsUpdateAndPush(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	root, err := api.OpenView(srv.NewTriggerID(alice.ID), modal("Request access"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Update", func(t *testing.T) {
		upd, err := api.UpdateView(modal("Step 2"), "", root.Hash, root.ID)
		if err != nil {
			t.Fatal(err)
		}
		if upd.ID != root.ID || upd.Hash == root.Hash {
			t.Fatalf("update kept id %q→%q, hash %q→%q", root.ID, upd.ID, root.Hash, upd.Hash)
		}
		if v, _ := srv.View(root.ID); v.Title != "Step 2" || v.Updates != 1 {
			t.Fatalf("View = %+v", v)
		}
	})

	t.Run("ErrHashConflict", func(t *testing.T) {
		if _, err := api.UpdateView(modal("x"), "", root.Hash, root.ID); slackErr(err) != "hash_conflict" {
			t.Fatalf("got %v, want hash_conflict", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := api.UpdateView(modal("x"), "", "", "V404"); slackErr(err) != "not_found" {
			t.Fatalf("got %v, want not_found", err)
		}
	})

	t.Run("PushUpToThree", func(t *testing.T) {
		for i := range 2 {
			if _, err := api.PushView(srv.NewTriggerID(alice.ID), modal("More")); err != nil {
				t.Fatalf("push %d: %v", i+1, err)
			}
		}
		if _, err := api.PushView(srv.NewTriggerID(alice.ID), modal("Too many")); slackErr(err) != "push_limit_reached" {
			t.Fatalf("got %v, want push_limit_reached", err)
		}
		views := srv.Views(alice.ID)
		if len(views) != 3 || views[2].RootViewID != root.ID || views[2].PreviousViewID != views[1].ID {
			t.Fatalf("stack %+v", views)
		}
	})

	t.Run("ErrPushWithoutModal", func(t *testing.T) {
		if _, err := api.PushView(srv.NewTriggerID(bob.ID), modal("x")); slackErr(err) != "not_found" {
			t.Fatalf("got %v, want not_found", err)
		}
	})
}

// A second views.open (a double click) replaces the modal on the user's screen; an update
// of the replaced one fails, or succeeds unseen when the fake is told to accept it.
func TestViewsOpenReplaces(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	first, err := api.OpenView(srv.NewTriggerID(alice.ID), modal("First"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := api.OpenView(srv.NewTriggerID(alice.ID), modal("Second"))
	if err != nil {
		t.Fatal(err)
	}
	if views := srv.Views(alice.ID); len(views) != 1 || views[0].ID != second.ID {
		t.Fatalf("alice sees %+v, want only the second modal", views)
	}
	if _, err := api.UpdateView(modal("Late"), "", "", first.ID); slackErr(err) != "not_found" {
		t.Fatalf("update of the replaced modal: got %v, want not_found", err)
	}
	srv.AcceptUpdatesOfHiddenViews(true)
	if _, err := api.UpdateView(modal("Late"), "", "", first.ID); err != nil {
		t.Fatalf("update of the replaced modal when accepted: %v", err)
	}
	if v, _ := srv.View(first.ID); v.Title != "Late" {
		t.Fatalf("the replaced modal is %+v, want it updated", v)
	}
	if views := srv.Views(alice.ID); len(views) != 1 || views[0].ID != second.ID || views[0].Title != "Second" {
		t.Fatalf("alice sees %+v, want the second modal as it was", views)
	}
}

func TestViewsPublish(t *testing.T) {
	srv := mustStart(t)
	api := client(srv)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewHeaderBlock(plain("Your access")), section("Nothing active"),
	}}}
	first, err := api.PublishView(alice.ID, home, "")
	if err != nil {
		t.Fatal(err)
	}
	home.Blocks.BlockSet[1] = section("*read* on `orders` until 17:00")
	second, err := api.PublishView(alice.ID, home, first.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Fatalf("republishing made a new view %q, want %q", second.ID, first.ID)
	}
	tab, found := srv.HomeTab(alice.ID)
	if !found || srv.RenderView(tab) != "Your access\n*read* on `orders` until 17:00" {
		t.Fatalf("HomeTab = %q (found %v)", srv.RenderView(tab), found)
	}
	if _, err := api.PublishView(alice.ID, home, first.Hash); slackErr(err) != "hash_conflict" {
		t.Fatalf("stale hash: got %v, want hash_conflict", err)
	}
	if _, err := api.PublishView("U0NOBODY", home, ""); slackErr(err) != "user_not_found" {
		t.Fatalf("unknown user: got %v", err)
	}
	modalAsHome := slack.HomeTabViewRequest{Type: slack.VTModal, Blocks: home.Blocks}
	if _, err := api.PublishView(bob.ID, modalAsHome, ""); slackErr(err) != "invalid_arguments" {
		t.Fatalf("modal published as home: got %v", err)
	}
}
