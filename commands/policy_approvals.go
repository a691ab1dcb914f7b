package commands

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// NotifyMode says where approvers are asked to decide: in the approvals channel, by direct
// message to each, or both.
type NotifyMode string

// The notify modes. The zero value means NotifyChannel.
const (
	NotifyChannel NotifyMode = "channel"
	NotifyDM      NotifyMode = "dm"
	NotifyBoth    NotifyMode = "both"
)

// InChannel reports whether requests are posted to the approvals channel.
func (m NotifyMode) InChannel() bool { return m != NotifyDM }

// ByDM reports whether each approver is sent the request by direct message.
func (m NotifyMode) ByDM() bool { return m == NotifyDM || m == NotifyBoth }

// QuietHours is a daily window, in the policy's time zone, in which routine re-pings of
// approvers wait until it ends. Start and End are times of day (offsets from midnight); a
// window whose End is before its Start runs over midnight ("20:00-08:00").
type QuietHours struct {
	Start, End time.Duration
}

// IsZero reports whether no quiet hours are set.
func (q QuietHours) IsZero() bool { return q.Start == q.End }

// Contains reports whether t falls in the quiet hours, read in loc.
func (q QuietHours) Contains(t time.Time, loc *time.Location) bool {
	if q.IsZero() {
		return false
	}
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	tod := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	if q.Start < q.End {
		return tod >= q.Start && tod < q.End
	}
	return tod >= q.Start || tod < q.End
}

// String writes the window as the policy file does: "20:00-08:00".
func (q QuietHours) String() string {
	if q.IsZero() {
		return ""
	}
	hm := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return hm(q.Start) + "-" + hm(q.End)
}

// ReasonRule is what a role asks of the reason a requester gives, so the audit log holds
// reasons an auditor can use (a ticket id, enough words).
type ReasonRule struct {
	// Optional lets a request be made without a reason. Reasons are required by default.
	Optional bool
	// MinLength is the fewest characters a reason may have; 0 for no minimum.
	MinLength int
	// Pattern, when set, must match the reason (e.g. a ticket id ^[A-Z]+-[0-9]+).
	Pattern *regexp.Regexp
	// Hint tells requesters what a good reason looks like; shown in the form and in refusals.
	Hint string
}

// ChannelOf returns the channel where requests for role are posted: the role's own
// approvals_channel, or the policy's.
func (p *Policy) ChannelOf(role *Role) string {
	if role != nil && role.ApprovalsChannel != "" {
		return role.ApprovalsChannel
	}
	return p.ApprovalsChannel
}

// Channels returns every approvals channel the policy names, the policy's first, each once.
func (p *Policy) Channels() []string {
	out := []string{p.ApprovalsChannel}
	for _, name := range p.RoleOrder {
		if c := p.Roles[name].ApprovalsChannel; c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if c := p.Review.Channel; c != "" && !slices.Contains(out, c) {
		out = append(out, c) // access reviews are posted there
	}
	return out
}

// NotifyModeOf returns how approvers of role are asked: the role's notify_approvers, or the
// policy's, or the channel.
func (p *Policy) NotifyModeOf(role *Role) NotifyMode {
	switch {
	case role != nil && role.NotifyApprovers != "":
		return role.NotifyApprovers
	case p.NotifyApprovers != "":
		return p.NotifyApprovers
	}
	return NotifyChannel
}

// EscalationOf returns how an undecided request for role is escalated: after how long the
// approvers are first re-notified (0: never), and whom to bring in after the second round.
func (p *Policy) EscalationOf(role *Role) (after time.Duration, to []string) {
	after, to = p.EscalateAfter, p.EscalateTo
	if role != nil && role.EscalateAfter > 0 {
		after = role.EscalateAfter
	}
	if role != nil && len(role.EscalateTo) > 0 {
		to = role.EscalateTo
	}
	return after, to
}

// Quiet reports whether t falls in the policy's quiet hours.
func (p *Policy) Quiet(t time.Time) bool {
	return p.QuietHours.Contains(t, p.Location)
}
