package commands

import (
	"errors"
	"fmt"
)

// Code says what kind of refusal or failure an Error is, so a transport can answer fittingly
// and a test can check the reason without matching text.
type Code string

// The error codes. The message of an Error says what to do; the code says why.
const (
	CodeInvalid          Code = "invalid"       // the input is malformed
	CodeNotFound         Code = "not_found"     // no such request or role
	CodeNotRequester     Code = "not_requester" // this user may not ask for this role
	CodeUnknownRole      Code = "unknown_role"  // no such role in the policy
	CodeTooLong          Code = "too_long"      // duration over the role's max
	CodeDeviceOutOfScope Code = "device_out_of_scope"
	CodeUnknownDevice    Code = "unknown_device"
	CodeNotApprover      Code = "not_approver"
	CodeSelfApproval     Code = "self_approval"
	CodeAlreadyApproved  Code = "already_approved" // this approver already said yes
	CodeWrongState       Code = "wrong_state"      // the transition is not allowed from the current state
	CodeNotAllowed       Code = "not_allowed"      // e.g. revoke by someone else
	CodeTooSoon          Code = "too_soon"         // asked again before the rate limit allows
	CodeUnavailable      Code = "unavailable"      // Datacake or Slack could not be reached; try again
	CodeChanged          Code = "changed"          // the request moved on since the click's button was shown
	CodeInternal         Code = "internal"
)

// Error is a refusal or failure with a message a Slack user can act on.
type Error struct {
	Code    Code
	Message string
	// Field names the part of a request the error is about (FieldRole, FieldDevices,
	// FieldDuration, FieldReason), so a form can show it next to that field.
	Field string
	Err   error // the cause, if any; never shown to users
}

// The fields of a request, for Error.Field.
const (
	FieldRole     = "role"
	FieldDevices  = "devices"
	FieldDuration = "duration"
	FieldReason   = "reason"
	// FieldTemplate is the form's "Start from a template" choice.
	FieldTemplate = "template"
	// FieldStart is when the access should start (start=).
	FieldStart = "start"
)

// ErrorField returns the field err is about, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// about sets the field e is about and returns e.
func (e *Error) about(field string) *Error {
	e.Field = field
	return e
}

// Error returns the user-facing message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, commands.ErrNotApprover) match any Error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Message == "" && t.Code == e.Code
}

// Errorf returns an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is: each matches every Error of its code.
var (
	ErrInvalid          = &Error{Code: CodeInvalid}
	ErrNotFound         = &Error{Code: CodeNotFound}
	ErrNotRequester     = &Error{Code: CodeNotRequester}
	ErrUnknownRole      = &Error{Code: CodeUnknownRole}
	ErrTooLong          = &Error{Code: CodeTooLong}
	ErrDeviceOutOfScope = &Error{Code: CodeDeviceOutOfScope}
	ErrUnknownDevice    = &Error{Code: CodeUnknownDevice}
	ErrNotApprover      = &Error{Code: CodeNotApprover}
	ErrSelfApproval     = &Error{Code: CodeSelfApproval}
	ErrAlreadyApproved  = &Error{Code: CodeAlreadyApproved}
	ErrWrongState       = &Error{Code: CodeWrongState}
	ErrNotAllowed       = &Error{Code: CodeNotAllowed}
	ErrTooSoon          = &Error{Code: CodeTooSoon}
	ErrUnavailable      = &Error{Code: CodeUnavailable}
	ErrChanged          = &Error{Code: CodeChanged}
)

// ErrorCode returns the code of err, or CodeInternal for an error that is not an Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// UserMessage returns what a Slack user should read for err: the Error's message, or a
// generic apology that leaks nothing of an internal failure.
func UserMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "Something went wrong on cakegate's side. It has been logged; try again in a minute."
}
