package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// orphansListed is how many held orphans one report names; a fresh database may see
// hundreds, and a Slack message has room for a few dozen lines.
const orphansListed = 20

// orphan is an API user named by a cakegate that no grant of this database owns.
type orphan struct {
	user   APIUser
	origin APIUserOrigin
	req    *Request // the request of this database its name points at, if any
}

// describe names the orphan for people, with what this database knows of its request.
func (o orphan) describe() string {
	what := fmt.Sprintf("API user %s (%s)", Escape(o.user.Name), Escape(o.user.ID))
	switch {
	case o.req != nil:
		what += fmt.Sprintf(", made for %s which is %s", o.req.ID, o.req.State)
	default:
		what += ", made for a request this cakegate has no record of"
	}
	return what
}

// orphans sorts the API users listed at listedAt into this installation's orphans and the
// orphans of others (another installation's, or from before installation ids), leaving out
// every API user a grant owns and every one no cakegate named. errs counts look-ups that
// failed; an API user whose request could not be read is left alone this run. So is one
// whose request changed since the list was read: an expiry or a revoke may have deleted it
// in between, and the list no longer tells (the next run's list will). A change in the
// same instant as the list cannot be told apart by time; deleteOrphan finds such an API
// user gone and reports nothing.
//
// held is who holds each API user (holders), read after the list: an API user adopted since
// is held then, whatever its name says.
func (s *Service) orphans(ctx context.Context, users []APIUser, held map[string]*Request, listedAt time.Time) (mine, foreign []orphan, errs int) {
	for _, u := range users {
		origin, ok := ParseAPIUserName(u.Name)
		if !ok {
			continue // made by hand: not cakegate's business
		}
		if held[u.ID] != nil {
			continue // a grant's, or adopted: owned
		}
		own := s.Installation != "" && origin.Installation == s.Installation
		var r *Request
		if own || origin.Installation == "" {
			// Request ids are this database's: a name from another installation points at
			// a request of theirs.
			got, err := s.Store.Get(ctx, origin.Request)
			if err != nil && !errors.Is(err, ErrNotFound) {
				errs++
				continue
			}
			r = got
		}
		if r != nil {
			switch {
			case r.UpdatedAt.After(listedAt):
				continue // changed since the list was read: judged on the next run's list
			case r.State == StateProvisioning:
				continue // being created now, or reconcile's job above
			case (r.State == StateActive || r.State == StateRevoking) && r.Grant != nil && r.Grant.APIUserID == u.ID:
				continue // owned
			}
		}
		o := orphan{user: u, origin: origin, req: r}
		if own {
			mine = append(mine, o)
		} else {
			foreign = append(foreign, o)
		}
	}
	return mine, foreign, errs
}

// reportForeign tells the approvers, once (firstReport), of an API user that another cakegate
// installation (or one from before installation ids) made and no grant here owns. It is
// never deleted: its token may be in use by someone this database knows nothing of.
func (s *Service) reportForeign(ctx context.Context, o orphan, res *ReconcileResult) {
	if !s.firstReport(ctx, o.user.ID) {
		return
	}
	whose := "a cakegate from before installation ids"
	if o.origin.Installation != "" {
		whose = "another cakegate installation (" + o.origin.Installation + "; this one is " + s.Installation + ")"
	}
	what := fmt.Sprintf("API user %s (%s)", Escape(o.user.Name), Escape(o.user.ID))
	s.journal(ctx, Actor, "orphan_foreign", what+", made by "+whose,
		fmt.Sprintf(":information_source: %s was made by %s, and no request here uses it. cakegate leaves it alone; its token works until someone deletes it in the Datacake portal.", what, whose))
	res.OrphansReported++
}

// handleOrphans deletes this installation's orphans, or reports them: when the policy says
// orphans: report, or when there are more than orphans_brake of them, which is what a
// fresh, restored or copied database sees, so an approver must confirm.
func (s *Service) handleOrphans(ctx context.Context, mine []orphan, res *ReconcileResult) {
	if len(mine) == 0 {
		return
	}
	if s.Policy.Orphans == OrphansReport {
		for _, o := range mine {
			if !s.firstReport(ctx, o.user.ID) {
				continue
			}
			s.journal(ctx, Actor, "orphan_found", o.describe(), fmt.Sprintf(":warning: %s is a leftover: cakegate made it, no request uses it any more, and its token still works. Delete it in the Datacake portal if nobody needs it (cakegate only reports leftovers: the policy says orphans: report).", o.describe()))
			res.OrphansReported++
		}
		return
	}
	if len(mine) > s.Policy.OrphansBrake {
		ids := make([]string, len(mine))
		for i, o := range mine {
			ids[i] = o.user.ID
		}
		slices.Sort(ids)
		if !s.firstReport(ctx, "brake:"+strings.Join(ids, ",")) {
			return
		}
		var list []string
		for i, o := range mine {
			if i == orphansListed {
				list = append(list, fmt.Sprintf("• … and %d more", len(mine)-i))
				break
			}
			list = append(list, "• "+o.describe())
		}
		s.journal(ctx, Actor, "orphans_held", fmt.Sprintf("%d orphans, more than orphans_brake %d", len(mine), s.Policy.OrphansBrake),
			fmt.Sprintf(":warning: cakegate found %s: tokens it made that no request uses any more. That is more than it deletes at once (orphans_brake (%d) in the policy), so it deleted none. %s Their tokens still work.\n%s\nIf they should go, an approver can delete them with `/cakegate orphans delete`; otherwise whoever runs cakegate can raise orphans_brake or set orphans: report.",
				Plural(len(mine), "leftover token", "leftover tokens"), s.Policy.OrphansBrake, s.orphanReason(mine), strings.Join(list, "\n")))
		res.OrphansHeld = len(mine)
		return
	}
	for _, o := range mine {
		switch deleted, err := s.deleteOrphan(ctx, Actor, o, "no request used it any more"); {
		case errors.Is(err, errAPIUserBusy):
			s.log().Info("an orphaned API user is being acted on by a click; judged again at the next reconcile", "api_user", o.user.ID)
		case err != nil:
			res.Errors++
		case deleted:
			res.OrphansDeleted++
		}
	}
}

// orphanReason says why so many orphans may have appeared at once.
func (s *Service) orphanReason(mine []orphan) string {
	if !s.InstalledAt.IsZero() {
		for _, o := range mine {
			if !o.user.Created.IsZero() && o.user.Created.Before(s.InstalledAt) {
				return fmt.Sprintf("The database is younger than these API users (it was created %s): it may be new, restored from an older backup, or the wrong file.", s.InstalledAt.UTC().Format("2006-01-02 15:04 UTC"))
			}
		}
	}
	return "This database has no grant for them: check it is the right database before deleting."
}

// deleteOrphan deletes one orphan, records it, and tells whoever its name points at. One
// that is gone already (deleted since it was listed) was not deleted here: nothing is
// recorded, nobody told. One that an approver is adopting right now, or adopted since the
// holders were read, is left: it takes its turn on the API user (turns.go), and a turn held
// by a click is errAPIUserBusy.
func (s *Service) deleteOrphan(ctx context.Context, actor string, o orphan, why string) (bool, error) {
	ctx, done, err := s.turn(ctx, apiUserTurn(o.user.ID), func() error { return errAPIUserBusy })
	if err != nil {
		return false, err
	}
	defer done()
	if held, err := s.heldBy(ctx, o.user.ID); err != nil || held != nil {
		if err == nil {
			s.log().Info("an orphaned API user was adopted since it was listed; left to its owner", "api_user", o.user.ID, "request", held.ID.String())
		}
		return false, err
	}
	deleted, err := s.deleteIfExists(ctx, s.Policy.Workspace, o.user.ID)
	if err != nil {
		s.log().Warn("delete orphaned API user", "api_user", o.user.ID, "err", err)
		return false, err
	}
	if !deleted {
		s.log().Info("an orphaned API user was gone already", "api_user", o.user.ID)
		return false, nil
	}
	// Recorded on the bookkeeping clock: a deletion that took the turn's time must still be
	// recorded, and its maker told.
	ctx, cancel := bookkeeping(ctx)
	defer cancel()
	var more []Notification
	if o.origin.User != "" {
		more = append(more, Notification{Kind: NotifyUser, To: o.origin.User, CreatedAt: s.now(),
			Text: fmt.Sprintf(":no_entry: cakegate deleted the Datacake API user %s, which was made for you (request %s): %s. Its token no longer works; ask again with `/cakegate request` if you still need access.", Escape(o.user.Name), o.origin.Request, why)})
	}
	by := "cakegate"
	if actor != Actor {
		by = Mention(actor)
	}
	s.journal(ctx, actor, "orphan_deleted", o.describe(), fmt.Sprintf(":wastebasket: %s deleted %s: %s.", by, o.describe(), why), more...)
	return true, nil
}

// DeleteOrphans deletes every API user of this installation that no grant owns, without
// the brake: an approver's answer to reconcile's "deleted none" report
// (/cakegate orphans delete). Only the policy's top-level approvers may. It returns how many
// were deleted and how many could not be.
func (s *Service) DeleteOrphans(ctx context.Context, user string) (deleted, failed int, err error) {
	ok, err := s.inList(ctx, s.Policy.Approvers, user)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, Errorf(CodeNotApprover, "only cakegate's approvers (%s) can delete orphaned API users.", mentions(s.Policy.Approvers))
	}
	listedAt := s.now()
	users, err := s.Datacake.FindAPIUsers(ctx, s.Policy.Workspace, APIUserPrefix)
	if err != nil {
		return 0, 0, &Error{Code: CodeUnavailable, Message: "cakegate could not list Datacake's API users just now; try again in a minute.", Err: err}
	}
	held, err := s.holders(ctx)
	if err != nil {
		return 0, 0, &Error{Code: CodeUnavailable, Message: "cakegate could not read its requests just now; try again in a minute.", Err: err}
	}
	mine, _, _ := s.orphans(ctx, users, held, listedAt)
	for _, o := range mine {
		switch ok, err := s.deleteOrphan(ctx, user, o, "an approver confirmed that no request uses it any more"); {
		case err != nil:
			failed++
		case ok:
			deleted++
		}
	}
	return deleted, failed, nil
}
