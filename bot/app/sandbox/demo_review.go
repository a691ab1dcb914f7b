package sandbox

import (
	"context"
	"strings"
)

// review plays the access review: an API user someone made by hand in the portal long ago
// shows up in ann's review, and she deletes it (Slack asks her to confirm first).
func (d *demo) review(ctx context.Context) error {
	s := d.s
	d.step("someone made an API user by hand in the Datacake portal; ann runs an access review")
	s.datacake.AddAPIUserOutOfBand(sandboxWorkspace, "old-ci-uploader")
	d.slash(ctx, sandboxAnn, "ann", "review")
	m, err := s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "old-ci-uploader") })
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals", s.slack.RenderMessage(m))
	d.say("\n  ann clicks [Delete]; Slack asks \"Delete this API user?\"; she confirms")
	answer, err := s.click(ctx, sandboxAnn, m.Channel, m.TS, "cakegate_review_delete_0")
	if err != nil {
		return err
	}
	d.sees("ann (only you can see this)", answer)
	m, err = s.reviewMessage(ctx, func(text string) bool { return strings.Contains(text, "Deleted by") })
	if err != nil {
		return err
	}
	d.sees("#cakegate-approvals (updated)", s.slack.RenderMessage(m))
	return nil
}
