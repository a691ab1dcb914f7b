package sandbox

import (
	"context"
	"fmt"
)

// event delivers an Events API event (inner is the event object) to cakegate as Slack
// does on the sandbox's transport, and returns once it is acknowledged.
func (s *sandbox) event(ctx context.Context, inner []byte) error {
	if s.socket {
		id, err := s.slack.SendEvent(ctx, inner)
		if err != nil {
			return err
		}
		if _, err := s.slack.WaitAck(ctx, id); err != nil {
			return fmt.Errorf("event not acknowledged: %w", err)
		}
		return nil
	}
	body, err := s.slack.EventCallback(inner)
	if err != nil {
		return err
	}
	return s.post(ctx, "/slack/events", body)
}
