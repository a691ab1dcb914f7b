package state

import "context"

// VerifyAuditInChunks is VerifyAudit reading chunk records per transaction, so tests can
// cross chunk boundaries with a short log.
func (s *Store) VerifyAuditInChunks(ctx context.Context, chunk int) (uint64, error) {
	return s.verifyAudit(ctx, chunk)
}
