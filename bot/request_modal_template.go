package bot

import (
	"context"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// Templates in the request form: a "Start from a template" select at its top, and the
// Home tab's Quick requests buttons, which open the form with one chosen.
const (
	// ActionQuickRequest is a Quick requests button on the Home tab; its value is the
	// template's name.
	ActionQuickRequest = "cakegate_quick_request"
	templateActionID   = "template"
)

// requestForm is what the request form remembers between redraws, in its private metadata.
// Gen counts the redraws that filled the fields from a template: Slack keeps what a field
// holds while its block id stays the same, so the fields' block ids change with Gen to let
// the template's values show.
type requestForm struct {
	Role     string
	Template string
	Gen      int
	// Zone is the requester's time zone from Slack, read when the form opened, for the
	// start field's wall times.
	Zone string
}

// encode writes f as private metadata; a form without a template or zone is just its role,
// as forms opened before templates existed were.
func (f requestForm) encode() string {
	if f.Template == "" && f.Gen == 0 && f.Zone == "" {
		return f.Role
	}
	return f.Role + "|" + f.Template + "|" + strconv.Itoa(f.Gen) + "|" + f.Zone
}

// decodeRequestForm reads what encode wrote; anything else is a role name.
func decodeRequestForm(s string) requestForm {
	parts := strings.Split(s, "|")
	if len(parts) != 3 && len(parts) != 4 {
		return requestForm{Role: s}
	}
	gen, err := strconv.Atoi(parts[2])
	if err != nil || gen < 0 {
		gen = 0
	}
	f := requestForm{Role: parts[0], Template: parts[1], Gen: gen}
	if len(parts) == 4 {
		f.Zone = parts[3]
	}
	return f
}

// block returns the block id of field in this drawing of the form.
func (f requestForm) block(field string) string {
	if f.Gen == 0 || field == commands.FieldTemplate {
		return field
	}
	return field + "~" + strconv.Itoa(f.Gen)
}

// templateSelect is the form's "Start from a template" field: the templates user may use,
// with chosen preselected. Nil when there are none.
func templateSelect(templates []*commands.Template, chosen string) *slack.InputBlock {
	if len(templates) == 0 {
		return nil
	}
	var options []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for i, t := range templates {
		if i == MaxSelectOptions {
			break
		}
		o := slack.NewOptionBlockObject(t.Name, plainText(truncateRunes(t.Name, 75)), plainText(truncateRunes(templateSummary(t), 75)))
		options = append(options, o)
		if t.Name == chosen {
			initial = o
		}
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("Choose a template"), templateActionID, options...)
	sel.InitialOption = initial
	in := slack.NewInputBlock(commands.FieldTemplate, plainText("Start from a template"),
		plainText("Fills in the role, devices and duration; you can still change them."), sel).WithDispatchAction(true)
	in.Optional = true
	return in
}

// templateSummary describes a template in a line: "viewer · 4h · tag:field-test".
func templateSummary(t *commands.Template) string {
	parts := []string{t.Role}
	if t.Duration > 0 {
		parts = append(parts, commands.FormatDuration(t.Duration))
	}
	if len(t.Devices) > 0 {
		parts = append(parts, strings.Join(t.Devices, ", "))
	}
	return strings.Join(parts, " · ")
}

// templateDeviceOptions are a template's devices as the devices field's initial options.
func templateDeviceOptions(t *commands.Template) []*slack.OptionBlockObject {
	var out []*slack.OptionBlockObject
	for _, ref := range t.Devices {
		if len(ref) > 150 {
			continue // Slack refuses longer option values
		}
		label := ref
		if tag, ok := strings.CutPrefix(ref, "tag:"); ok {
			label = "tag: " + tag
		}
		out = append(out, slack.NewOptionBlockObject(ref, plainText(truncateRunes(label, 75)), nil))
	}
	return out
}

// chooseTemplate redraws the form from the template just chosen: its role, devices,
// duration and reason hint replace what the fields held.
func (b *Bot) chooseTemplate(ctx context.Context, cb slack.InteractionCallback, name string) {
	old := decodeRequestForm(cb.View.PrivateMetadata)
	form := requestForm{Role: old.Role, Template: name, Gen: old.Gen + 1, Zone: old.Zone}
	if t, ok := b.svc.Policy.Template(name); ok {
		form.Role = t.Role
	}
	b.redrawRequestModal(ctx, cb, form)
}

// openQuickRequest opens the request form with the template of a Quick requests button.
func (b *Bot) openQuickRequest(ctx context.Context, to replyTo, triggerID, user, name string) {
	form := requestForm{Template: name}
	if t, ok := b.svc.Policy.Template(name); ok {
		form.Role = t.Role
	}
	b.openRequestForm(ctx, to, triggerID, user, form)
}

// submittedTemplate is the template a submitted form asks with: the one chosen, while the
// role chosen is still its role. A person who picked another role after the template
// asks for that role plainly.
func (b *Bot) submittedTemplate(values map[string]map[string]slack.BlockAction, form requestForm, role string) string {
	name := values[commands.FieldTemplate][templateActionID].SelectedOption.Value
	if name == "" {
		name = form.Template
	}
	if t, ok := b.svc.Policy.Template(name); ok && (role == "" || t.Role == role) {
		return name
	}
	return ""
}
