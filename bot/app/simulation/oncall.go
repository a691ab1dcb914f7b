package simulation

import (
	"slices"
	"strings"
	"time"

	"github.com/cakegate/cakegate/commands"
)

// The on-call rule of the simulated policy: device-editor requests of at most 4h by a member
// of S0ONCALL are approved by the rule. The group's members change as the pager is handed
// over; the model keeps every list, to judge each on-call approval against the moment.
const (
	onCallGroup = "S0ONCALL"
	onCallRole  = "device-editor"
	onCallMax   = 4 * time.Hour
	// onCallSlack: cakegate may act on a list Slack gave up to commands.MaxRosterAge before
	// the approval, and Slack's answer takes a moment.
	onCallSlack = commands.MaxRosterAge + 5*time.Second
)

// rosterChange is the on-call group's members from at on.
type rosterChange struct {
	at      time.Time
	members []string
}

// onCallText is the on_call line of the role that has the rule.
const onCallText = "    on_call: {group: " + onCallGroup + ", max_duration: 4h}\n"

// startOnCall puts alice on call.
func (w *World) startOnCall() {
	w.setOnCall(alice)
}

// setOnCall makes members the on-call group in Slack, as an on-call tool would.
func (w *World) setOnCall(members ...string) {
	w.slack.AddUserGroup(onCallGroup, members...)
	w.model.roster = append(w.model.roster, rosterChange{at: w.clock.Now(), members: slices.Clone(members)})
}

// handOver passes the pager: the on-call group becomes nobody, one or two requesters. One
// who hands it over often asks once more just before and again soon after: the rule may act
// on the list it read before for a minute, never longer.
func (w *World) handOver() {
	before := w.model.roster[len(w.model.roster)-1].members
	var members []string
	for range w.rng.IntN(3) {
		if u := pick(w, requesters); !slices.Contains(members, u) {
			members = append(members, u)
		}
	}
	var again []string
	for _, u := range before {
		if !slices.Contains(members, u) && w.rng.IntN(2) == 0 {
			again = append(again, u)
			w.askOnCall(u, "a last fix before my shift ends")
		}
	}
	w.setOnCall(members...)
	names := make([]string, len(members))
	for i, u := range members {
		names[i] = lowerName(u)
	}
	w.trace.add(w.clock.Now(), "pager", "on call now", "["+strings.Join(names, ", ")+"]")
	for _, u := range again {
		w.followUp(time.Duration(20+w.rng.IntN(220))*time.Second, "asks after handing over the pager", func() {
			w.askOnCall(u, "one more fix after my shift")
		})
	}
}

// askOnCall has user ask for what the on-call rule covers.
func (w *World) askOnCall(user, why string) {
	text := `request role=` + onCallRole + ` devices=SN-1002 for=2h reason="` + why + `"`
	w.say(user, "/cakegate "+text, w.slash(user, text))
}

// onCallDuring reports whether user was in the on-call group at some moment in [from, to].
func (m *model) onCallDuring(user string, from, to time.Time) bool {
	for i, c := range m.roster {
		end := to
		if i+1 < len(m.roster) {
			end = m.roster[i+1].at
		}
		if !c.at.After(to) && !end.Before(from) && slices.Contains(c.members, user) {
			return true
		}
	}
	return false
}

// checkOnCall: a request the on-call rule approved is of the role with the rule, within its
// max_duration, and its requester was in the group within a minute of the approval.
func (w *World) checkOnCall(r *commands.Request, add func(string, string, ...any)) {
	if r.OnCall == "" {
		return
	}
	switch {
	case r.OnCall != onCallGroup || r.Role != onCallRole:
		add(invOnCall, "%s (role %s) was approved by the on-call rule of %s, which the role does not have", r.ID, r.Role, r.OnCall)
	case r.Duration > onCallMax:
		add(invOnCall, "%s was approved by the on-call rule for %s, more than its %s", r.ID, commands.FormatDuration(r.Duration), commands.FormatDuration(onCallMax))
	case !w.model.onCallDuring(r.Requester, r.DecidedAt.Add(-onCallSlack), r.DecidedAt):
		add(invOnCall, "%s was approved by the on-call rule at %s, but %s was not on call in the minute before", r.ID, r.DecidedAt.Format(time.DateTime), lowerName(r.Requester))
	default:
		w.counts["approved by the on-call rule"]++
	}
}
