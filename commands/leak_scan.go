package commands

import (
	"crypto/sha256"
	"encoding/hex"
)

// The lengths of a run of token characters that may be a token: Datacake's are 40 hex
// characters today; the range leaves room for a change of format.
const (
	MinTokenRun = 32
	MaxTokenRun = 128
)

// isTokenChar reports whether c may be part of a token: ASCII letters, digits, '-' and '_'
// (hex, base64url and most API key alphabets).
func isTokenChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// TokenCandidates calls fn with every maximal run of MinTokenRun to MaxTokenRun token
// characters in text, in order. It allocates nothing, so scanning every message costs
// only the pass over it and a hash per candidate.
func TokenCandidates(text string, fn func(candidate string)) {
	start := -1
	for i := 0; i <= len(text); i++ {
		if i < len(text) && isTokenChar(text[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if n := i - start; n >= MinTokenRun && n <= MaxTokenRun {
				fn(text[start:i])
			}
			start = -1
		}
	}
}

// Fingerprint is the SHA-256 of a token, in hex: what cakegate keeps of a live token so
// that it can recognise it in a message. The token itself is never kept.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
