// Package datacake is cakegate's client for Datacake's GraphQL API: it creates, lists and
// deletes API users (the scoped tokens cakegate hands out) and reads workspaces, devices and
// the caller's own permissions.
//
// Every call is bounded: a timeout per attempt, a limit on calls in flight, a token-bucket
// request rate, and retries with exponential backoff and jitter for temporary failures only.
// Creating an API user is never repeated once Datacake may have carried it out; the client
// looks the name up instead and returns an *UnknownOutcomeError saying what it found.
//
// Errors are typed (*PermanentError, *TemporaryError, *RateLimitedError,
// *UnknownOutcomeError, with sentinels for errors.Is) and never contain the client's token or a created
// API user's token.
//
// Every GraphQL document the client sends is listed by Operations, so that a test can
// validate each one against the schema the project carries in testdata.
package datacake
