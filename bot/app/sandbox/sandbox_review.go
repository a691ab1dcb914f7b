package sandbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/cakegate/cakegate/bot/slacktest"
)

// reviewMessage waits for a review message in the approvals channel that satisfies match.
func (s *sandbox) reviewMessage(ctx context.Context, match func(text string) bool) (slacktest.Message, error) {
	var found slacktest.Message
	err := s.slack.WaitFor(ctx, func(srv *slacktest.Server) bool {
		for _, m := range srv.Messages(sandboxChannel) {
			if text := srv.RenderMessage(m); strings.Contains(text, "Access review") && match(text) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return found, fmt.Errorf("review message: %w", err)
	}
	return found, nil
}
