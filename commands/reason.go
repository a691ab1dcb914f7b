package commands

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkRoleReason checks a requester's reason against the role's rule, so the audit log holds
// reasons an auditor can use. A refusal ends with the role's hint, which says what a good
// reason looks like.
func checkRoleReason(role *Role, reason string) error {
	rule := role.Reason
	refuse := func(msg string) error {
		if rule.Hint != "" {
			msg += " " + rule.Hint
		}
		return Errorf(CodeInvalid, "%s", msg).about(FieldReason)
	}
	n := utf8.RuneCountInString(reason)
	switch {
	case reason == "" && rule.Optional:
		return nil
	case reason == "":
		if rule.Hint != "" {
			return refuse("say why you need the token.")
		}
		return refuse(`say why you need the token, e.g. reason="check the field-test sensors"`)
	case n > MaxReasonLength:
		return refuse(fmt.Sprintf("the reason is too long: at most %d characters, please.", MaxReasonLength))
	case n < rule.MinLength:
		return refuse(fmt.Sprintf("the reason is too short for role %s: at least %d characters, please.", role.Name, rule.MinLength))
	case rule.Pattern != nil && !rule.Pattern.MatchString(reason):
		return refuse(fmt.Sprintf("the reason does not have the form role %s asks for (`%s`).", role.Name, strings.ReplaceAll(rule.Pattern.String(), "`", "'")))
	}
	return nil
}
