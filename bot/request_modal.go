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
)

// durationChoices are the durations the form offers, up to the role's maximum.
var durationChoices = []time.Duration{
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 24 * time.Hour,
	2 * 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 30 * 24 * time.Hour,
}

// openRequestModal opens the request form for user.
func (b *Bot) openRequestModal(ctx context.Context, to replyTo, triggerID, user string) {
	view, err := b.requestModal(ctx, user, "")
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
// and the submission both need one).
func (b *Bot) requestModal(ctx context.Context, user, chosen string) (slack.ModalViewRequest, error) {
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
	blocks := []slack.Block{
		slack.NewInputBlock(commands.FieldRole, plainText("Role"), nil, roleSelect).WithDispatchAction(true),
	}
	if role != nil {
		blocks = append(blocks, slack.NewContextBlock("role_info", slack.NewTextBlockObject(slack.MarkdownType,
			truncateRunes(roleDetails(role), 2000), false, true)))
	}

	devices := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, plainText("Type a name, serial or tag"), devicesActionID).WithMinQueryLength(0)
	devicesInput := slack.NewInputBlock(commands.FieldDevices, plainText("Devices"),
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
	durations, durationInitial := durationOptions(maxDuration, def)
	durationSelect := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("For how long"), durationActionID, durations...)
	durationSelect.InitialOption = durationInitial

	blocks = append(blocks,
		devicesInput,
		slack.NewInputBlock(commands.FieldDuration, plainText("Duration"), nil, durationSelect),
		reasonInput(role),
	)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      requestCallbackID,
		PrivateMetadata: chosen,
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
func (b *Bot) updateRequestModal(ctx context.Context, cb slack.InteractionCallback, role string) {
	view, err := b.requestModal(ctx, cb.User.ID, role)
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
	role := cb.View.PrivateMetadata
	if v := cb.View.State; v != nil {
		if sel := v.Values[commands.FieldRole][roleActionID].SelectedOption.Value; sel != "" {
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
	in := commands.RequestInput{
		Key:       cb.TriggerID,
		Requester: cb.User.ID,
		Role:      values[commands.FieldRole][roleActionID].SelectedOption.Value,
		Reason:    values[commands.FieldReason][reasonActionID].Value,
	}
	for _, o := range values[commands.FieldDevices][devicesActionID].SelectedOptions {
		in.Devices = append(in.Devices, o.Value)
	}
	if v := values[commands.FieldDuration][durationActionID].SelectedOption.Value; v != "" {
		d, err := commands.ParseDuration(v)
		if err != nil {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{commands.FieldDuration: "Choose a duration from the list."})
		}
		in.Duration = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	r, err := b.svc.CreateRequest(ctx, in)
	if err != nil {
		field := commands.ErrorField(err)
		if field == "" {
			field = commands.FieldReason
		}
		if commands.ErrorCode(err) == commands.CodeInternal {
			b.log.Error("request from the form", "user", in.Requester, "err", err)
		}
		b.warn(in.Requester, b.named(commands.UserMessage(err)))
		return slack.NewErrorsViewSubmissionResponse(map[string]string{field: truncateRunes(b.named(commands.UserMessage(err)), 300)})
	}
	b.async(func(ctx context.Context) {
		r, err := b.svc.GrantIfAutomatic(ctx, r)
		m := requestConfirmationMessage(r)
		if err != nil {
			m = message{fallback: ":warning: " + commands.UserMessage(err)}
			b.warned(in.Requester, m.fallback)
		}
		if err := b.dm(ctx, in.Requester, m.fallback, m.blocks); err != nil {
			b.log.Warn("request confirmation", "request", r.ID.String(), "err", err)
		}
	})
	return nil
}
