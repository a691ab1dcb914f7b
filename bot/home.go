package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// publishHome shows user their requests on the App Home tab.
func (b *Bot) publishHome(ctx context.Context, user string) {
	rs, err := b.svc.List(ctx, user)
	if err != nil {
		b.log.Warn("app home: list requests", "user", user, "err", err)
		return
	}
	_, blocks := ListMessage(rs, b.now())
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
	if _, err := b.slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		b.log.Warn("app home: publish", "user", user, "err", err)
	}
}
