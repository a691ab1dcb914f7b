package sandbox

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/bot/slacktest"
)

func TestRequestFormStoryHTTP(t *testing.T)       { testRequestFormStory(t, false) }
func TestRequestFormStorySocketMode(t *testing.T) { testRequestFormStory(t, true) }

// testRequestFormStory asks for a token through the request form: choose a role, search
// devices as Slack does while typing, be told what is wrong next to the field, submit;
// then an approver denies it with a reason through the deny form.
func testRequestFormStory(t *testing.T, socket bool) {
	s := startSandbox(t, sandboxOptions{socketMode: socket})
	ctx := testContext(t)

	if _, err := s.sendSlash(ctx, sandboxAlice, "request"); err != nil {
		t.Fatal(err)
	}
	form, err := s.waitModal(ctx, sandboxAlice, "cakegate_request")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "request form", s.slack.RenderView(form), "Role", "Devices", "Duration", "Reason")

	// Choosing a role redraws the form: its durations stop at the role's 24h maximum and its
	// default (4h) is preselected.
	if err := s.selectInModal(ctx, sandboxAlice, "role", "role", "device-editor"); err != nil {
		t.Fatal(err)
	}
	err = s.slack.WaitFor(ctx, func(srvAny *slacktest.Server) bool {
		v, ok := srvAny.ModalOpen(sandboxAlice)
		return ok && v.PrivateMetadata == "device-editor"
	})
	if err != nil {
		t.Fatalf("the form was not redrawn for the role: %v", err)
	}
	form, _ = s.slack.ModalOpen(sandboxAlice)
	rendered := string(form.Blocks)
	mustContain(t, "form for device-editor", rendered, `"value":"4h"`, `"value":"1d"`, "needs 2 approvals")
	mustNotContain(t, "form for device-editor", rendered, `"value":"2d"`, `"value":"7d"`)

	// Type-ahead: devices and tags matching what is typed, from Datacake.
	opts, err := s.suggest(ctx, sandboxAlice, "devices", "devices", "fre")
	if err != nil {
		t.Fatal(err)
	}
	if labels := optionLabels(opts); labels != "Freezer 2 (SN-1002)" {
		t.Fatalf("suggestions for \"fre\": %q", labels)
	}
	opts, err = s.suggest(ctx, sandboxAlice, "devices", "devices", "")
	if err != nil {
		t.Fatal(err)
	}
	if labels := optionLabels(opts); !strings.HasPrefix(labels, "tag: field-test, tag: heating, tag: lab, Boiler room") {
		t.Fatalf("suggestions for nothing typed: %q", labels)
	}

	chosen := map[string]map[string]slack.BlockAction{
		"role":     {"role": {SelectedOption: slack.OptionBlockObject{Value: "device-editor"}}},
		"devices":  {"devices": {SelectedOptions: []slack.OptionBlockObject{{Value: "tag:field-test"}, {Value: s.devices["SN-1001"].ID}}}},
		"duration": {"duration": {SelectedOption: slack.OptionBlockObject{Value: "3d"}}},
		"reason":   {"reason": {Value: "re-flash the door sensors"}},
	}
	errs, err := s.submit(ctx, sandboxAlice, chosen)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errs["duration"], "at most 1d") {
		t.Fatalf("submitting 3d for a 24h role: errors %v", errs)
	}
	chosen["duration"] = map[string]slack.BlockAction{"duration": {SelectedOption: slack.OptionBlockObject{Value: "4h"}}}
	chosen["reason"] = map[string]slack.BlockAction{"reason": {Value: "  "}}
	errs, err = s.submit(ctx, sandboxAlice, chosen)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errs["reason"], "say why") {
		t.Fatalf("submitting without a reason: errors %v", errs)
	}
	chosen["reason"] = map[string]slack.BlockAction{"reason": {Value: "re-flash the door sensors"}}
	errs, err = s.submit(ctx, sandboxAlice, chosen)
	if err != nil || len(errs) > 0 {
		t.Fatalf("valid submission: %v %v", errs, err)
	}
	if _, open := s.slack.ModalOpen(sandboxAlice); open {
		t.Fatal("the form stayed open after a valid submission")
	}
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "R1 is waiting for approval") }); err != nil {
		t.Fatal(err)
	}
	msg, err := s.approvalMessage(ctx, "R1", nil)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "approval message", s.slack.RenderMessage(msg), "Boiler room", "Freezer 2", "Loading door", "4h", "re-flash the door sensors")

	// Carol is no approver: she is told so instead of getting a form.
	answer, err := s.click(ctx, sandboxCarol, msg.Channel, msg.TS, "cakegate_deny")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "deny by a non-approver", answer, "only the approvers of role device-editor")
	if _, open := s.slack.ModalOpen(sandboxCarol); open {
		t.Fatal("a non-approver got the deny form")
	}

	// Bob denies with a reason.
	if _, err := s.sendClick(ctx, sandboxBob, msg.Channel, msg.TS, "cakegate_deny"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.waitModal(ctx, sandboxBob, "cakegate_deny"); err != nil {
		t.Fatal(err)
	}
	errs, err = s.submit(ctx, sandboxBob, map[string]map[string]slack.BlockAction{"reason": {"reason": {Value: "use the lab account"}}})
	if err != nil || len(errs) > 0 {
		t.Fatalf("deny: %v %v", errs, err)
	}
	if _, err := s.dm(ctx, sandboxAlice, func(t string) bool {
		return strings.Contains(t, "denied your request R1") && strings.Contains(t, "use the lab account")
	}); err != nil {
		t.Fatal(err)
	}
	msg, err = s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Denied by") })
	if err != nil {
		t.Fatal(err)
	}
	text := s.slack.RenderMessage(msg)
	mustContain(t, "denied message", text, "bob", "use the lab account")
	mustNotContain(t, "denied message", text, "[Approve]", "[Deny]")

	// A stale Deny click after the decision explains instead of opening a form.
	answer, err = s.click(ctx, sandboxAnn, msg.Channel, msg.TS, "cakegate_deny")
	if err == nil {
		t.Fatalf("the denied message still has a Deny button (answer %q)", answer)
	}
}

func optionLabels(opts []*slack.OptionBlockObject) string {
	var out []string
	for _, o := range opts {
		out = append(out, o.Text.Text)
	}
	return strings.Join(out, ", ")
}

// TestShortcutOpensRequestForm: the global shortcut opens the same request form.
func TestShortcutOpensRequestForm(t *testing.T) {
	s := startSandbox(t, sandboxOptions{})
	ctx := testContext(t)
	cb := slack.InteractionCallback{
		Type: slack.InteractionTypeShortcut, CallbackID: "cakegate_request",
		User: slack.User{ID: sandboxAlice}, TriggerID: s.slack.NewTriggerID(sandboxAlice),
	}
	if _, err := s.interact(ctx, cb); err != nil {
		t.Fatal(err)
	}
	form, err := s.waitModal(ctx, sandboxAlice, "cakegate_request")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "form from the shortcut", s.slack.RenderView(form), "Role", "Devices", "Reason")
}
