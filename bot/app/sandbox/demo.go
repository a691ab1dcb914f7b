package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// Demo is `cakegate demo`: it plays cakegate's story against the in-process fakes and prints what each person
// sees in Slack and what happens in Datacake. It needs no account and ends in seconds:
// time is simulated.
//
// It keeps its database in a temporary folder and ends with the commands to explore it.
func Demo(ctx context.Context, out io.Writer) (err error) {
	s, err := newSandbox(sandboxOptions{keepFiles: true, policy: sandboxPolicy + demoTemplates})
	if err != nil {
		return err
	}
	dir := s.dir
	defer func() {
		if s.Close() != nil || err != nil {
			os.RemoveAll(dir) // a failed demo leaves nothing worth exploring
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	d := demo{s: s, out: out}

	d.title("cakegate demo: real bot, fake Slack and fake Datacake on this machine; time is simulated")
	d.say("People: alice asks for tokens; ann and bob approve; #cakegate-approvals is the approvals channel.")

	d.step("alice asks for a token")
	d.slash(ctx, sandboxAlice, "alice", `request role=viewer devices=SN-1001,SN-1002 for=8h reason="check last night's freezer alarm"`)
	msg, err := s.approvalMessage(ctx, "R1", nil)
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals", s.slack.RenderMessage(msg))

	d.step("alice tries to approve her own request")
	d.click(ctx, sandboxAlice, "alice", msg.Channel, msg.TS, "cakegate_approve")

	d.step("ann approves")
	d.click(ctx, sandboxAnn, "ann", msg.Channel, msg.TS, "cakegate_approve")
	reveal, err := s.revealDM(ctx, sandboxAlice, "R1")
	if err != nil {
		return err
	}
	d.sees("alice (direct message, no token in it)", s.slack.RenderMessage(reveal))

	d.step("alice clicks [Reveal token]: a window opens at once, the token appears in it only")
	if _, err := s.sendClick(ctx, sandboxAlice, reveal.Channel, reveal.TS, "cakegate_reveal"); err != nil {
		return err
	}
	view, err := s.tokenView(ctx, sandboxAlice, 1)
	if err != nil {
		return err
	}
	d.sees("alice (modal)", s.slack.RenderView(view))
	msg, err = s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "[Revoke]") })
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals (updated)", s.slack.RenderMessage(msg))
	d.datacake()

	d.step("7 hours later: the 1-hour reminder")
	s.clock.Advance(7 * time.Hour)
	if err := s.tick(ctx); err != nil {
		return err
	}
	reminder, err := s.dmMessage(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "[Extend]") })
	if err != nil {
		return err
	}
	d.sees("alice (direct message)", s.slack.RenderMessage(reminder))

	d.step("alice clicks [Extend] and asks for 4 more hours; bob approves the extension")
	if _, err := s.sendClick(ctx, sandboxAlice, reminder.Channel, reminder.TS, "cakegate_extend"); err != nil {
		return err
	}
	form, err := s.waitModal(ctx, sandboxAlice, "cakegate_extend")
	if err != nil {
		return err
	}
	d.sees("alice (a form)", s.slack.RenderView(form))
	fmt.Fprintf(d.out, "\n  alice chooses \"4h more\" and submits\n")
	if errs, err := s.submit(ctx, sandboxAlice, map[string]map[string]slack.BlockAction{"duration": {"duration": {SelectedOption: slack.OptionBlockObject{Value: "4h"}}}}); err != nil || len(errs) > 0 {
		return fmt.Errorf("extend form: %v %v", errs, err)
	}
	msg, err = s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "[Approve extension]") })
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals (updated)", s.slack.RenderMessage(msg))
	d.click(ctx, sandboxBob, "bob", msg.Channel, msg.TS, "cakegate_approve")
	dm, err := s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "is extended by 4h") })
	if err != nil {
		return err
	}
	d.sees("alice (direct message)", dm)

	d.step("5 hours later: the grant expires")
	s.clock.Advance(5*time.Hour + time.Minute)
	if err := s.tick(ctx); err != nil {
		return err
	}
	dm, err = s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "has expired") })
	if err != nil {
		return err
	}
	d.sees("alice (direct message)", dm)
	msg, err = s.approvalMessage(ctx, "R1", func(t string) bool { return strings.Contains(t, "Expired") })
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals (updated)", s.slack.RenderMessage(msg))
	d.datacake()

	d.step("alice asks for a role that needs two approvers; bob denies it")
	d.slash(ctx, sandboxAlice, "alice", `request role=device-editor devices=tag:field-test for=2h reason="re-flash the door sensor"`)
	msg, err = s.approvalMessage(ctx, "R2", nil)
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals", s.slack.RenderMessage(msg))
	fmt.Fprintf(d.out, "\n  bob clicks [Deny]; a form asks for a reason; he writes \"use the lab account\" and submits\n")
	if _, err := s.sendClick(ctx, sandboxBob, msg.Channel, msg.TS, "cakegate_deny"); err != nil {
		return err
	}
	if _, err := s.waitModal(ctx, sandboxBob, "cakegate_deny"); err != nil {
		return err
	}
	if errs, err := s.submit(ctx, sandboxBob, map[string]map[string]slack.BlockAction{"reason": {"reason": {Value: "use the lab account"}}}); err != nil || len(errs) > 0 {
		return fmt.Errorf("deny form: %v %v", errs, err)
	}
	dm, err = s.dm(ctx, sandboxAlice, func(t string) bool { return strings.Contains(t, "denied your request R2") })
	if err != nil {
		return err
	}
	d.sees("alice (direct message)", dm)

	d.step("alice asks again with the team's template for alarm checks, then withdraws it herself")
	d.slash(ctx, sandboxAlice, "alice", `request template=freezer-check reason="alarm at 3am again"`)
	msg, err = s.approvalMessage(ctx, "R3", nil)
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals", s.slack.RenderMessage(msg))
	d.slash(ctx, sandboxAlice, "alice", "cancel R3")
	if err := d.review(ctx); err != nil {
		return err
	}

	if d.err != nil {
		return d.err
	}
	events, err := s.app.Store().AuditEvents(ctx, 0, 0)
	if err != nil {
		return err
	}
	d.step(fmt.Sprintf("the audit log: %d events, hash-chained", len(events)))
	for _, e := range events {
		fmt.Fprintf(d.out, "    %s  %-4s %-20s %-10s %s\n", e.At.UTC().Format("01-02 15:04"), e.Request, e.Action, who(e.Actor), names.Replace(e.Detail))
	}
	if broken, err := s.app.Store().VerifyAudit(ctx); broken != 0 || err != nil {
		return fmt.Errorf("audit chain broken at %d: %v", broken, err)
	}
	// Stop cakegate, so the commands below find the database free.
	if err := s.Close(); err != nil {
		return err
	}
	db := s.cfg.DBPath
	d.title("demo finished: every token was deleted in Datacake, every decision is in the audit log")
	fmt.Fprintf(d.out, "The demo's database is kept in %s. Explore it:\n\n", dir)
	fmt.Fprintf(d.out, "  CAKEGATE_DB=%s cakegate audit export\n", db)
	fmt.Fprintf(d.out, "  CAKEGATE_DB=%s cakegate audit export --request R1\n", db)
	fmt.Fprintf(d.out, "  CAKEGATE_DB=%s cakegate audit verify\n", db)
	fmt.Fprintf(d.out, "\n(with `go run .` in place of cakegate from a checkout). Remove it when done: rm -r %s\n", dir)
	return nil
}

// demoTemplates give the demo's policy a preset: the viewer role on the freezers for 2h.
const demoTemplates = `templates:
  freezer-check:
    role: viewer
    devices: [SN-1001, SN-1002]
    duration: 2h
    reason_hint: Say which alarm you are checking.
`

// names shows the sandbox's people by name where the audit log has their Slack ids.
var names = strings.NewReplacer(sandboxAlice, "alice", sandboxAnn, "ann", sandboxBob, "bob", sandboxCarol, "carol")

// demo prints the story as it happens.
type demo struct {
	s   *sandbox
	out io.Writer
	n   int
	err error
}

func (d *demo) title(s string) { fmt.Fprintf(d.out, "\n=== %s\n", s) }
func (d *demo) say(s string)   { fmt.Fprintln(d.out, s) }

func (d *demo) step(s string) {
	d.n++
	fmt.Fprintf(d.out, "\n--- %d. %s\n", d.n, s)
}

func (d *demo) sees(who, text string) {
	fmt.Fprintf(d.out, "\n  %s sees:\n%s\n", who, indentBlock(text, "    │ "))
}

func (d *demo) slash(ctx context.Context, user, name, text string) {
	fmt.Fprintf(d.out, "\n  %s types: /cakegate %s\n", name, text)
	answer, err := d.s.slash(ctx, user, text)
	if err != nil {
		d.fail(err)
		return
	}
	d.sees(name+" (only you can see this)", answer)
}

func (d *demo) click(ctx context.Context, user, name, channel, ts, action string) {
	label := map[string]string{"cakegate_approve": "Approve", "cakegate_deny": "Deny", "cakegate_revoke": "Revoke"}[action]
	fmt.Fprintf(d.out, "\n  %s clicks [%s]\n", name, label)
	answer, err := d.s.click(ctx, user, channel, ts, action)
	if err != nil {
		d.fail(err)
		return
	}
	d.sees(name+" (only you can see this)", answer)
}

func (d *demo) datacake() {
	users := d.s.datacake.APIUsers(sandboxWorkspace)
	fmt.Fprintf(d.out, "\n  Datacake workspace holds %s\n", commands.Plural(len(users), "cakegate API user", "cakegate API users"))
	for _, u := range users {
		fmt.Fprintf(d.out, "    • %s  workspace permissions %v, %s\n", u.Name, u.Permissions, commands.Plural(len(u.Devices), "device", "devices"))
	}
}

func (d *demo) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	fmt.Fprintf(d.out, "  !! %v\n", err)
}

func indentBlock(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// who names the sandbox's people in the audit printout.
func who(id string) string {
	switch id {
	case sandboxAlice:
		return "alice"
	case sandboxAnn:
		return "ann"
	case sandboxBob:
		return "bob"
	}
	return id
}
