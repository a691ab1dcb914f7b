package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/cakegate/cakegate/commands"
)

// The request form: role, devices (type-ahead from Datacake), duration and reason. Its
// block ids are the commands.Field names, so a refusal from commands is shown next to the
// field it is about.
const (
	requestCallbackID = "cakegate_request" // the modal, and the global shortcut that opens it
	// ActionOpenRequest is a button that opens the request form (App Home).
	ActionOpenRequest = "cakegate_open_request"
	roleActionID      = "role"
	devicesActionID   = "devices"
	durationActionID  = "duration"
	reasonActionID    = "reason"
	startActionID     = "start"
)

// durationChoices are the durations the form offers, up to the role's maximum.
var durationChoices = []time.Duration{
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour,
	2 * 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
}

// openRequestModal opens the request form for user.
func (b *Bot) openRequestModal(ctx context.Context, to replyTo, triggerID, user string) {
	b.openRequestForm(ctx, to, triggerID, user, requestForm{})
}

// openRequestForm opens the request form for user as form says (a template chosen, say).
func (b *Bot) openRequestForm(ctx context.Context, to replyTo, triggerID, user string, form requestForm) {
	form.Zone = b.userZone(ctx, user)
	view, err := b.requestModal(ctx, user, form)
	if err != nil {
		b.replyError(ctx, to, err)
		return
	}
	if _, err := b.slack.OpenViewContext(ctx, triggerID, view); err != nil {
		b.log.Warn("open request form", "user", user, "err", err)
		b.replyText(ctx, to, "The request form could not be opened ("+err.Error()+"). You can ask by text: `"+b.name+` request role=ROLE devices=SERIAL for=8h reason="…"`+"`")
	}
}

// requestModal builds the form for the chosen role; with none chosen yet, the first role
// user may ask for is, so the form never waits on a role nobody picked (the device search
// and the submission both need one). A template chosen fills in the other fields.
func (b *Bot) requestModal(ctx context.Context, user string, form requestForm) (slack.ModalViewRequest, error) {
	chosen := form.Role
	roles, err := b.svc.Roles(ctx, user)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	if len(roles) == 0 {
		return slack.ModalViewRequest{}, commands.Errorf(commands.CodeNotRequester, "there is no role you can ask for. Ask whoever runs cakegate to give you one; the approvers know who that is.")
	}
	if len(roles) == 1 || !slices.ContainsFunc(roles, func(r commands.RoleInfo) bool { return r.Role.Name == chosen }) {
		chosen = roles[0].Role.Name
	}
	var (
		options []*slack.OptionBlockObject
		initial *slack.OptionBlockObject
		role    *commands.Role
	)
	for i, info := range roles {
		if i == MaxSelectOptions {
			break
		}
		o := slack.NewOptionBlockObject(info.Role.Name,
			plainText(truncateRunes(info.Role.Name, 75)),
			plainText(truncateRunes(roleSummary(info), 75)))
		options = append(options, o)
		if info.Role.Name == chosen {
			initial, role = o, info.Role
		}
	}
	roleSelect := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("Choose a role"), roleActionID, options...)
	roleSelect.InitialOption = initial
	templates, err := b.svc.Templates(ctx, user)
	if err != nil {
		// Templates are optional: a user group that cannot be read just now costs the
		// form its template choice, as it costs the Home tab its Quick requests.
		b.log.Warn("request form: templates", "user", user, "err", err)
	}
	var tpl *commands.Template
	if t, ok := b.svc.Policy.Template(form.Template); ok && t.Role == chosen {
		tpl = t
	}
	form.Role = chosen
	var blocks []slack.Block
	if sel := templateSelect(templates, form.Template); sel != nil {
		blocks = append(blocks, sel)
	}
	blocks = append(blocks, slack.NewInputBlock(form.block(commands.FieldRole), plainText("Role"), nil, roleSelect).WithDispatchAction(true))
	if role != nil {
		blocks = append(blocks, slack.NewContextBlock("role_info", slack.NewTextBlockObject(slack.MarkdownType,
			truncateRunes(roleDetails(role), 2000), false, true)))
	}

	devices := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, plainText("Type a name, serial or tag"), devicesActionID).WithMinQueryLength(0)
	if tpl != nil {
		devices.InitialOptions = templateDeviceOptions(tpl)
	}
	devicesInput := slack.NewInputBlock(form.block(commands.FieldDevices), plainText("Devices"),
		plainText("Devices, or tags standing for every device that carries them."), devices)
	devicesInput.Optional = role != nil && len(role.WorkspacePermissions) > 0

	maxDuration := time.Duration(0)
	for _, info := range roles {
		maxDuration = max(maxDuration, info.Role.MaxDuration)
	}
	def := time.Duration(0)
	if role != nil {
		maxDuration, def = role.MaxDuration, role.DefaultDuration
	}
	if tpl != nil && tpl.Duration > 0 {
		def = tpl.Duration
	}
	durations, durationInitial := durationOptions(maxDuration, def)
	durationSelect := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("For how long"), durationActionID, durations...)
	durationSelect.InitialOption = durationInitial

	reason := reasonInput(role, tpl)
	reason.BlockID = form.block(commands.FieldReason)
	blocks = append(blocks,
		devicesInput,
		slack.NewInputBlock(form.block(commands.FieldDuration), plainText("Duration"), nil, durationSelect),
		startInput(form),
		reason,
	)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      requestCallbackID,
		PrivateMetadata: form.encode(),
		Title:           plainText("Ask for a token"),
		Submit:          plainText("Ask"),
		Close:           plainText("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}, nil
}

// durationOptions offers the standard durations up to max (and max itself), with def
// (or the longest at most 8h) preselected.
func durationOptions(max, def time.Duration) ([]*slack.OptionBlockObject, *slack.OptionBlockObject) {
	ds := []time.Duration{}
	for _, d := range durationChoices {
		if d <= max {
			ds = append(ds, d)
		}
	}
	if max > 0 && !slices.Contains(ds, max) {
		ds = append(ds, max)
	}
	if def > 0 && !slices.Contains(ds, def) {
		ds = append(ds, def)
		slices.Sort(ds)
	}
	var out []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, d := range ds {
		o := slack.NewOptionBlockObject(commands.FormatDuration(d), plainText(humanDuration(d)), nil)
		out = append(out, o)
		if d == def || (def == 0 && d <= 8*time.Hour) {
			initial = o
		}
	}
	return out, initial
}

// humanDuration spells a duration out for a menu: "8 hours", "1 day".
func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d %s", n, map[bool]string{true: "day", false: "days"}[n == 1])
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		return fmt.Sprintf("%d %s", n, map[bool]string{true: "hour", false: "hours"}[n == 1])
	}
	return commands.FormatDuration(d)
}

func roleSummary(info commands.RoleInfo) string {
	if info.Role.Description != "" {
		return info.Role.Description
	}
	return info.Grants
}

func roleDetails(r *commands.Role) string {
	var b strings.Builder
	if r.Description != "" {
		b.WriteString(escapeMrkdwn(r.Description) + "\n")
	}
	fmt.Fprintf(&b, "Grants %s · %s · up to %s", escapeMrkdwn(commands.DescribeGrants(r.WorkspacePermissions, r.DevicePermissions)),
		escapeMrkdwn(r.Devices.String()), commands.FormatDuration(r.MaxDuration))
	if r.Approvals > 1 {
		fmt.Fprintf(&b, " · needs %d approvals", r.Approvals)
	}
	return b.String()
}

// MaxSelectOptions is Slack's limit of options in one select menu.
const MaxSelectOptions = 100

// updateRequestModal redraws the form when the role changes, so durations and the role's
// description follow it. What was typed in the other fields stays: their ids do not change.
// A template chosen before stays chosen only while the role is its own.
func (b *Bot) updateRequestModal(ctx context.Context, cb slack.InteractionCallback, role string) {
	form := decodeRequestForm(cb.View.PrivateMetadata)
	form.Role = role
	if t, ok := b.svc.Policy.Template(form.Template); !ok || t.Role != role {
		form.Template = ""
	}
	b.redrawRequestModal(ctx, cb, form)
}

// redrawRequestModal replaces the open form with one drawn as form says.
func (b *Bot) redrawRequestModal(ctx context.Context, cb slack.InteractionCallback, form requestForm) {
	view, err := b.requestModal(ctx, cb.User.ID, form)
	if err != nil {
		b.log.Warn("redraw request form", "user", cb.User.ID, "err", err)
		return
	}
	if _, err := b.slack.UpdateViewContext(ctx, view, "", cb.View.Hash, cb.View.ID); err != nil {
		b.log.Warn("redraw request form", "user", cb.User.ID, "err", err)
	}
}

// suggestDevices answers the devices field's type-ahead within Slack's 3 seconds, from the
// cached device list.
func (b *Bot) suggestDevices(cb slack.InteractionCallback) slack.OptionsResponse {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	form := decodeRequestForm(cb.View.PrivateMetadata)
	role := form.Role
	if v := cb.View.State; v != nil {
		if sel := v.Values[form.block(commands.FieldRole)][roleActionID].SelectedOption.Value; sel != "" {
			role = sel
		}
	}
	choices, err := b.svc.SearchDevices(ctx, cb.User.ID, role, cb.Value)
	if err != nil {
		b.log.Warn("device search", "user", cb.User.ID, "err", err)
		return slack.OptionsResponse{Options: []*slack.OptionBlockObject{}}
	}
	opts := make([]*slack.OptionBlockObject, 0, len(choices))
	for _, c := range choices {
		if len(c.Ref) > 150 {
			continue // Slack refuses longer option values; such an id cannot be chosen here
		}
		opts = append(opts, slack.NewOptionBlockObject(c.Ref, plainText(truncateRunes(c.Label, 75)), nil))
	}
	return slack.OptionsResponse{Options: opts}
}

// submitRequest handles the form's submission within Slack's 3 seconds: commands validates
// and stores the request (no Datacake write happens before the answer), refusals are shown
// next to their field, and the rest (an automatic grant, the confirmation) follows.
func (b *Bot) submitRequest(cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	values := map[string]map[string]slack.BlockAction{}
	if cb.View.State != nil {
		values = cb.View.State.Values
	}
	form := decodeRequestForm(cb.View.PrivateMetadata)
	in := commands.RequestInput{
		Key:       cb.TriggerID,
		Requester: cb.User.ID,
		Role:      values[form.block(commands.FieldRole)][roleActionID].SelectedOption.Value,
		Reason:    values[form.block(commands.FieldReason)][reasonActionID].Value,
	}
	in.Template = b.submittedTemplate(values, form, in.Role)
	if start := strings.TrimSpace(values[form.block(commands.FieldStart)][startActionID].Value); start != "" {
		in.Start, in.Zone = start, form.Zone
	}
	for _, o := range values[form.block(commands.FieldDevices)][devicesActionID].SelectedOptions {
		in.Devices = append(in.Devices, o.Value)
	}
	if v := values[form.block(commands.FieldDuration)][durationActionID].SelectedOption.Value; v != "" {
		d, err := commands.ParseDuration(v)
		if err != nil {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{form.block(commands.FieldDuration): "Choose a duration from the list."})
		}
		in.Duration = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	r, err := b.svc.CreateRequest(ctx, in)
	if err != nil {
		field := commands.ErrorField(err)
		if field == "" || (field == commands.FieldTemplate && values[commands.FieldTemplate] == nil && cb.View.State != nil) {
			field = commands.FieldReason
		}
		field = form.block(field)
		if commands.ErrorCode(err) == commands.CodeInternal {
			b.log.Error("request from the form", "user", in.Requester, "err", err)
		}
		b.warn(in.Requester, b.named(commands.UserMessage(err)))
		return slack.NewErrorsViewSubmissionResponse(map[string]string{field: truncateRunes(b.named(commands.UserMessage(err)), 300)})
	}
	b.async(func(ctx context.Context) {
		id := r.ID
		var m message
		if r, err := b.svc.GrantIfAutomatic(ctx, r); err != nil || r == nil {
			// A failed write leaves no request to describe: say what went wrong.
			m = message{fallback: ":warning: " + commands.UserMessage(err)}
			b.warned(in.Requester, m.fallback)
		} else {
			m = requestConfirmationMessage(r)
		}
		if err := b.dm(ctx, in.Requester, m.fallback, m.blocks); err != nil {
			b.log.Warn("request confirmation", "request", id.String(), "err", err)
		}
	})
	return nil
}
