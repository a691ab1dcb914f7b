package simulation

import (
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// The simulated policy's templates: name → role. visit goes with the contractor role when a
// redeploy removes it, so a request made from it meets a policy without it.
var templateRoles = map[string]string{"quick-look": "viewer", "field-fix": "device-editor", "visit": "contractor"}

// templateNames are the templates in a fixed order, for picking.
var templateNames = []string{"quick-look", "field-fix", "visit"}

// templatesText is the templates: section of the policy file.
func (p policy) templatesText() string {
	s := `templates:
  quick-look: {role: viewer, devices: [tag:lab], duration: 2h}
  field-fix: {role: device-editor, devices: [SN-1001], duration: 4h, reason_hint: Name the work order.}
`
	if p.hasRole("contractor") {
		s += "  visit: {role: contractor, devices: [tag:heating], duration: 1h}\n"
	}
	return s
}

// requestByTemplate has a requester ask with a template: mostly by text, sometimes with
// for=, sometimes from the form's "Start from a template"; now and then one the policy no
// longer has.
func (w *World) requestByTemplate() {
	user := pick(w, requesters)
	name := pick(w, templateNames)
	if w.rng.IntN(3) == 0 {
		w.templateByForm(user, name)
		return
	}
	text := fmt.Sprintf(`request template=%s reason="simulated template"`, name)
	if w.rng.IntN(2) == 0 {
		text = fmt.Sprintf(`request template=%s for=%s reason="simulated template"`, name, pick(w, []string{"1h", "3h", "1d", "3d"}))
	}
	w.say(user, "/cakegate "+text, w.slash(user, text))
}

// templateByForm has user open the form, choose the template and submit what it filled in.
func (w *World) templateByForm(user, name string) {
	w.say(user, "/cakegate request", w.slash(user, "request"))
	if _, open := w.slack.ModalOpen(user); !open {
		return
	}
	cb, err := w.slack.ModalSelect(user, commands.FieldTemplate, "template", name)
	if err != nil {
		w.say(user, "choose template "+name, err.Error())
		w.slack.CloseModals(user)
		return
	}
	w.say(user, "choose template "+name, w.interact(cb))
	form, open := w.slack.ModalOpen(user)
	if !open {
		return
	}
	// The form was drawn afresh from the template, under new block ids.
	gen := "~1"
	if form.Updates == 0 {
		gen = "" // the redraw did not reach the screen: submit what was there
	} else {
		w.counts["form filled in from a template"]++
	}
	role, ok := templateRoles[name]
	if !ok {
		role = "viewer"
	}
	devices := map[string]string{"quick-look": "tag:lab", "field-fix": "SN-1001", "visit": "tag:heating"}[name]
	values := map[string]map[string]slack.BlockAction{
		commands.FieldTemplate: {"template": {SelectedOption: slack.OptionBlockObject{Value: name}}},
		"role" + gen:           {"role": {SelectedOption: slack.OptionBlockObject{Value: role}}},
		"devices" + gen:        {"devices": {SelectedOptions: []slack.OptionBlockObject{{Value: devices}}}},
		"duration" + gen:       {"duration": {SelectedOption: slack.OptionBlockObject{Value: "1h"}}},
		"reason" + gen:         {"reason": {Value: "simulated template form"}},
	}
	sub, err := w.slack.ViewSubmission(user, values)
	if err != nil {
		w.say(user, "submit request form", err.Error())
		return
	}
	w.remember(sub)
	w.say(user, "submit request form", w.interact(sub))
	w.slack.CloseModals(user)
}

// checkTemplate: a request made from a template has the template's role and stays within
// what that role allows under the policy in force when it was made.
// It is judged when the request is first seen, just after it was made; one a restored
// backup brings back was made under the policy of its day.
func (w *World) checkTemplate(r *commands.Request, now time.Time, add func(string, string, ...any)) {
	if r.Template == "" || now.Sub(r.CreatedAt) > time.Minute {
		return
	}
	w.counts["request made from a template"]++
	role, ok := templateRoles[r.Template]
	switch {
	case !ok:
		add(invTemplate, "%s names template %q, which the policy never had", r.ID, r.Template)
	case role != r.Role:
		add(invTemplate, "%s was made from template %s (role %s) but is for role %s", r.ID, r.Template, role, r.Role)
	case r.Duration > w.policy.maxDuration(r.Role):
		add(invTemplate, "%s from template %s asks for %s, more than role %s allows (%s)", r.ID, r.Template, commands.FormatDuration(r.Duration), r.Role, commands.FormatDuration(w.policy.maxDuration(r.Role)))
	}
}
