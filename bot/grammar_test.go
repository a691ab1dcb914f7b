package bot_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cakegate/cakegate/bot"
	"github.com/cakegate/cakegate/commands"
)

// parseCommandCases is shared with FuzzParseCommand, which starts from these inputs.
// A case with err set expects exactly that message.
var parseCommandCases = []struct {
	name string
	text string
	want bot.Command
	err  string
}{
	// help
	{name: "Empty", text: "", want: bot.Command{Verb: bot.VerbHelp}},
	{name: "Blank", text: " \t\n ", want: bot.Command{Verb: bot.VerbHelp}},
	{name: "Help", text: "help", want: bot.Command{Verb: bot.VerbHelp}},
	{name: "HelpUpper", text: "HELP", want: bot.Command{Verb: bot.VerbHelp}},
	{name: "HelpWithTopic", text: "help request", want: bot.Command{Verb: bot.VerbHelp}},

	// request
	{name: "RequestInteractive", text: "request", want: bot.Command{Verb: bot.VerbRequest, Interactive: true}},
	{name: "RequestInteractiveSpaces", text: "  Request  ", want: bot.Command{Verb: bot.VerbRequest, Interactive: true}},
	{name: "RequestRoleOnly", text: "request role=viewer", want: bot.Command{Verb: bot.VerbRequest, Role: "viewer"}},
	{name: "RequestReasonOnly", text: "request reason=testing", want: bot.Command{Verb: bot.VerbRequest, Reason: "testing"}},
	{name: "RequestTemplate", text: `request template=field-check for=2h reason="FT-12"`, want: bot.Command{Verb: bot.VerbRequest, Template: "field-check", Duration: 2 * time.Hour, Reason: "FT-12"}},
	{name: "RequestTemplateQuoted", text: `request TEMPLATE=" field-check "`, want: bot.Command{Verb: bot.VerbRequest, Template: "field-check"}},
	{name: "RequestStart", text: `request role=viewer devices=SN1 start=“tomorrow  09:00”`, want: bot.Command{Verb: bot.VerbRequest, Role: "viewer", Devices: []string{"SN1"}, Start: "tomorrow 09:00"}},
	{name: "RequestStartWithTemplate", text: `request template=t start=09:00`, want: bot.Command{Verb: bot.VerbRequest, Template: "t", Start: "09:00"}},
	{name: "ErrRequestStartEmpty", text: `request start=" "`, err: `start= needs a time, like start=09:00 or start="tomorrow 09:00"; leave it out to start as soon as it is approved`},
	{name: "ErrRequestStartUnquoted", text: `request start=tomorrow 09:00`, err: `unexpected "09:00" in request: use role=, devices=, for=, reason=, template= or start=, and quote values with spaces, like reason="field test"`},
	{name: "ErrRequestTemplateEmpty", text: `request template=""`, err: "template= needs a name, like template=field-check; your cakegate Home tab lists the templates you may use"},
	{name: "ErrRequestTemplateWithRole", text: "request template=field-check role=viewer", err: `a template sets the role and the devices: leave out role= and devices=, like: request template=field-check for=4h reason="…"`},
	{name: "ErrRequestTemplateWithDevices", text: "request devices=SN1 template=x", err: `a template sets the role and the devices: leave out role= and devices=, like: request template=x for=4h reason="…"`},
	{name: "ErrRequestTemplateTwice", text: "request template=a template=b", err: "template= appears twice in request: give each key once"},
	{
		name: "RequestAll",
		text: `request role=device-editor devices=SN-1,SN-2 for=8h reason="firmware test"`,
		want: bot.Command{Verb: bot.VerbRequest, Role: "device-editor", Devices: []string{"SN-1", "SN-2"}, Duration: 8 * time.Hour, Reason: "firmware test"},
	},
	{
		name: "RequestKeysAnyOrderAnyCase",
		text: `REQUEST Reason='x y' FOR=45m Devices=tag:field Role=Viewer`,
		want: bot.Command{Verb: bot.VerbRequest, Role: "Viewer", Devices: []string{"tag:field"}, Duration: 45 * time.Minute, Reason: "x y"},
	},
	{name: "RequestDays", text: "request for=7d", want: bot.Command{Verb: bot.VerbRequest, Duration: 7 * 24 * time.Hour}},
	{name: "RequestDaysHours", text: "request for=1d12h", want: bot.Command{Verb: bot.VerbRequest, Duration: 36 * time.Hour}},
	{name: "RequestSeconds", text: "request for=90s", want: bot.Command{Verb: bot.VerbRequest, Duration: 90 * time.Second}},
	{name: "RequestQuotedFor", text: `request for="8h"`, want: bot.Command{Verb: bot.VerbRequest, Duration: 8 * time.Hour}},
	{name: "RequestExtraSpaces", text: "  request \t role=viewer\n\nfor=8h  ", want: bot.Command{Verb: bot.VerbRequest, Role: "viewer", Duration: 8 * time.Hour}},
	{name: "RequestNonBreakingSpace", text: "request\u00a0role=viewer", want: bot.Command{Verb: bot.VerbRequest, Role: "viewer"}},

	// devices
	{
		name: "DevicesTrimDropDedupe",
		text: `request devices=" a , b,,a ,  ,c,b"`,
		want: bot.Command{Verb: bot.VerbRequest, Devices: []string{"a", "b", "c"}},
	},
	{name: "DevicesTrailingComma", text: "request devices=a,", want: bot.Command{Verb: bot.VerbRequest, Devices: []string{"a"}}},
	{
		name: "DevicesMixedWithTags",
		text: "request devices=SN-1,tag:field,TAG:field,Tag:lab",
		want: bot.Command{Verb: bot.VerbRequest, Devices: []string{"SN-1", "tag:field", "tag:lab"}},
	},
	{name: "DevicesTagNameTrimmed", text: `request devices="tag: field test "`, want: bot.Command{Verb: bot.VerbRequest, Devices: []string{"tag:field test"}}},
	{name: "DevicesCaseKept", text: "request devices=ab,AB", want: bot.Command{Verb: bot.VerbRequest, Devices: []string{"ab", "AB"}}},
	{name: "DevicesAmpersand", text: "request devices=a&amp;b", want: bot.Command{Verb: bot.VerbRequest, Devices: []string{"a&b"}}},
	{name: "DevicesHundred", text: "request devices=" + numbered("d", 100), want: bot.Command{Verb: bot.VerbRequest, Devices: strings.Split(numbered("d", 100), ",")}},
	{name: "DevicesHundredWithRepeats", text: "request devices=" + numbered("d", 100) + "," + numbered("d", 100), want: bot.Command{Verb: bot.VerbRequest, Devices: strings.Split(numbered("d", 100), ",")}},

	// quoting
	{name: "QuoteDouble", text: `request reason="a b"`, want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteSingle", text: `request reason='a b'`, want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteSmartDouble", text: "request reason=“a b”", want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteSmartSingle", text: "request reason=‘a b’", want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteMacOSClosingPair", text: "request reason=”a b”", want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteMacOSClosingSinglePair", text: "request reason=’a b’", want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteGermanLow", text: "request reason=„a b“", want: bot.Command{Verb: bot.VerbRequest, Reason: "a b"}},
	{name: "QuoteApostropheInSingle", text: "request reason='don't stop' role=x", want: bot.Command{Verb: bot.VerbRequest, Role: "x", Reason: "don't stop"}},
	{name: "QuoteSmartApostrophe", text: "request reason=‘it’s late’ role=x", want: bot.Command{Verb: bot.VerbRequest, Role: "x", Reason: "it’s late"}},
	{name: "QuoteOtherFamilyInside", text: `request reason="it's 'fine'"`, want: bot.Command{Verb: bot.VerbRequest, Reason: "it's 'fine'"}},
	{name: "QuoteApostropheUnquoted", text: "request reason=don't", want: bot.Command{Verb: bot.VerbRequest, Reason: "don't"}},
	{name: "QuoteEscapedDouble", text: `request reason="say \"hi\" now"`, want: bot.Command{Verb: bot.VerbRequest, Reason: `say "hi" now`}},
	{name: "QuoteEscapedSingle", text: `request reason='it\'s'`, want: bot.Command{Verb: bot.VerbRequest, Reason: "it's"}},
	{name: "QuoteEscapedSmart", text: `request reason=“a \” b”`, want: bot.Command{Verb: bot.VerbRequest, Reason: "a ” b"}},
	{name: "QuoteEscapedBackslash", text: `request reason="C:\\dir\\"`, want: bot.Command{Verb: bot.VerbRequest, Reason: `C:\dir\`}},
	{name: "QuoteOtherBackslashKept", text: `request reason="a\nb"`, want: bot.Command{Verb: bot.VerbRequest, Reason: `a\nb`}},
	{name: "QuoteNewlineInside", text: "request reason=\"line one\nline two\"", want: bot.Command{Verb: bot.VerbRequest, Reason: "line one\nline two"}},
	{name: "QuoteTrimmed", text: `request reason="  padded  "`, want: bot.Command{Verb: bot.VerbRequest, Reason: "padded"}},
	{name: "QuoteAtEndOfText", text: `request role="a b"`, want: bot.Command{Verb: bot.VerbRequest, Role: "a b"}},
	{name: "SlackEscapes", text: "request reason=\"a &amp; b &lt;c&gt; &amp;lt;\"", want: bot.Command{Verb: bot.VerbRequest, Reason: "a & b <c> &lt;"}},
	{name: "ReasonEmoji", text: "request reason=\"🔥 test ✓\"", want: bot.Command{Verb: bot.VerbRequest, Reason: "🔥 test ✓"}},
	{name: "ReasonMaxLength", text: `request reason="` + strings.Repeat("é", 500) + `"`, want: bot.Command{Verb: bot.VerbRequest, Reason: strings.Repeat("é", 500)}},
	{name: "ReasonMaxAfterUnescape", text: `request reason="` + strings.Repeat("&amp;", 500) + `"`, want: bot.Command{Verb: bot.VerbRequest, Reason: strings.Repeat("&", 500)}},

	// list, pending, roles
	{name: "List", text: "list", want: bot.Command{Verb: bot.VerbList}},
	{name: "Pending", text: "Pending", want: bot.Command{Verb: bot.VerbPending}},
	{name: "Roles", text: "roles ", want: bot.Command{Verb: bot.VerbRoles}},

	// ids
	{name: "StatusUpperR", text: "status R42", want: bot.Command{Verb: bot.VerbStatus, ID: 42}},
	{name: "StatusLowerR", text: "status r42", want: bot.Command{Verb: bot.VerbStatus, ID: 42}},
	{name: "StatusBare", text: "status 42", want: bot.Command{Verb: bot.VerbStatus, ID: 42}},
	{name: "StatusQuoted", text: `status "R7"`, want: bot.Command{Verb: bot.VerbStatus, ID: 7}},
	{name: "StatusLarge", text: "status R18446744073709551615", want: bot.Command{Verb: bot.VerbStatus, ID: 18446744073709551615}},
	{name: "Approve", text: "approve R1", want: bot.Command{Verb: bot.VerbApprove, ID: 1}},
	{name: "ApproveUpper", text: "APPROVE r1", want: bot.Command{Verb: bot.VerbApprove, ID: 1}},
	{name: "Cancel", text: "cancel 9", want: bot.Command{Verb: bot.VerbCancel, ID: 9}},

	// deny, revoke
	{name: "DenyNoReason", text: "deny R42", want: bot.Command{Verb: bot.VerbDeny, ID: 42}},
	{name: "DenyFreeText", text: "deny R42 the role is too broad", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "the role is too broad"}},
	{name: "DenyFreeTextApostrophe", text: "deny R42 don't need it", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "don't need it"}},
	{name: "DenyFreeTextSpacingKept", text: "deny r42   two  spaces \n", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "two  spaces"}},
	{name: "DenyQuoted", text: `deny R42 "too broad"`, want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "too broad"}},
	{name: "DenySmartQuoted", text: "deny R42 “too broad”", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "too broad"}},
	{name: "DenyReasonKey", text: `deny R42 Reason="too broad"`, want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "too broad"}},
	{name: "DenyPartlyQuoted", text: `deny R42 "a" and "b"`, want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: `"a" and "b"`}},
	{name: "DenyUnclosedQuote", text: `deny R42 "oops`, want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: `"oops`}},
	{name: "DenyEscapes", text: "deny R42 a &lt;b&gt; &amp; c", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "a <b> & c"}},
	{name: "DenyMention", text: "deny R42 ask <@U123|bob>", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "ask <@U123|bob>"}},
	{name: "DenyMultiline", text: "deny R42 first\nsecond", want: bot.Command{Verb: bot.VerbDeny, ID: 42, Reason: "first\nsecond"}},
	{name: "Revoke", text: "revoke 5", want: bot.Command{Verb: bot.VerbRevoke, ID: 5}},
	{name: "RevokeReason", text: "Revoke R5 done testing", want: bot.Command{Verb: bot.VerbRevoke, ID: 5, Reason: "done testing"}},

	// extend
	{name: "Extend", text: "extend R42 24h", want: bot.Command{Verb: bot.VerbExtend, ID: 42, Duration: 24 * time.Hour}},
	{name: "ExtendDays", text: "extend r42 2d", want: bot.Command{Verb: bot.VerbExtend, ID: 42, Duration: 48 * time.Hour}},
	{name: "ExtendDaysMinutes", text: "EXTEND 42 1d30m", want: bot.Command{Verb: bot.VerbExtend, ID: 42, Duration: 24*time.Hour + 30*time.Minute}},
	{name: "ExtendForKey", text: "extend R42 for=8h", want: bot.Command{Verb: bot.VerbExtend, ID: 42, Duration: 8 * time.Hour}},

	// audit
	{name: "Audit", text: "audit", want: bot.Command{Verb: bot.VerbAudit}},
	{name: "AuditN", text: "audit 50", want: bot.Command{Verb: bot.VerbAudit, Count: 50}},
	{name: "AuditMax", text: "audit 1000", want: bot.Command{Verb: bot.VerbAudit, Count: 1000}},

	// orphans
	{name: "OrphansDelete", text: "orphans delete", want: bot.Command{Verb: bot.VerbOrphans}},
	{name: "OrphansDeleteCase", text: "Orphans DELETE", want: bot.Command{Verb: bot.VerbOrphans}},
	{name: "ErrOrphansAlone", text: "orphans", err: "orphans needs what to do with them, like: orphans delete"},
	{name: "ErrOrphansOther", text: "orphans keep", err: "orphans needs what to do with them, like: orphans delete"},
	{name: "ErrOrphansMore", text: "orphans delete all", err: "orphans delete takes nothing after it, like: orphans delete"},

	// review
	{name: "Review", text: "review", want: bot.Command{Verb: bot.VerbReview}},
	{name: "ErrReviewExtra", text: "review now", err: "review takes nothing after it, like: review"},

	// errors: the command as a whole
	{name: "ErrUnknownVerb", text: "frobnicate R1", err: `unknown command "frobnicate": use help, request, list, status, pending, approve, deny, cancel, revoke, extend, roles, audit, orphans or review`},
	{name: "ErrKeyFirst", text: "role=viewer", err: `"role=viewer" is not a command: start with one, like: request role=viewer`},
	{name: "ErrMentionFirst", text: "<@U123|bob>", err: `unknown command "&lt;@U123|bob&gt;": use help, request, list, status, pending, approve, deny, cancel, revoke, extend, roles, audit, orphans or review`},
	{name: "ErrLongWordShortened", text: strings.Repeat("x", 60), err: `unknown command "` + strings.Repeat("x", 40) + `…": use help, request, list, status, pending, approve, deny, cancel, revoke, extend, roles, audit, orphans or review`},
	{name: "ErrControl", text: "deny R1 a\x07b", err: "the command contains a control character (U+0007): retype it without that character"},
	{name: "ErrNUL", text: "status R1\x00", err: "the command contains a control character (U+0000): retype it without that character"},
	{name: "ErrDEL", text: "request reason=\"a\x7f\"", err: "the command contains a control character (U+007F): retype it without that character"},
	{name: "ErrBidi", text: "deny R1 \u202etxt.exe", err: "the command contains an invisible text-direction character (U+202E): retype it without that character"},
	{name: "ErrInvalidUTF8", text: "request reason=\xff", err: "the command is not valid UTF-8 text: retype it"},

	// errors: request
	{name: "ErrRequestUnknownKey", text: "request colour=red", err: "unknown key colour= in request: use role=, devices=, for=, reason=, template= or start="},
	{name: "ErrRequestUnknownKeyCaseKept", text: "request Colour=red", err: "unknown key Colour= in request: use role=, devices=, for=, reason=, template= or start="},
	{name: "ErrRequestPositional", text: "request viewer", err: `unexpected "viewer" in request: use role=, devices=, for=, reason=, template= or start=, and quote values with spaces, like reason="field test"`},
	{name: "ErrRequestUnquotedReason", text: "request reason=field test", err: `unexpected "test" in request: use role=, devices=, for=, reason=, template= or start=, and quote values with spaces, like reason="field test"`},
	{name: "ErrRequestEmptyKey", text: "request =x", err: `unexpected "=x" in request: use role=, devices=, for=, reason=, template= or start=, and quote values with spaces, like reason="field test"`},
	{name: "ErrRequestRepeated", text: "request role=a role=b", err: "role= appears twice in request: give each key once"},
	{name: "ErrRequestRepeatedOtherCase", text: "request for=1h FOR=2h", err: "for= appears twice in request: give each key once"},
	{name: "ErrRoleEmpty", text: "request role=", err: "role= needs a value, like role=viewer"},
	{name: "ErrRoleEmptyQuoted", text: `request role="  "`, err: "role= needs a value, like role=viewer"},
	{name: "ErrForEmpty", text: "request for=", err: "for= needs a duration, like for=8h"},
	{name: "ErrForBad", text: "request for=8x", err: "for=8x is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h"},
	{name: "ErrForFractionalDays", text: "request for=1.5d", err: "for=1.5d is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h"},
	{name: "ErrForNegative", text: "request for=-1h", err: "for=-1h is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h"},
	{name: "ErrForNoUnit", text: "request for=8", err: "for=8 is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h"},
	{name: "ErrForZero", text: "request for=0s", err: "for= must be longer than zero, like for=8h; leave it out to get the role's default"},
	{name: "ErrForZeroDays", text: "request for=0d", err: "for= must be longer than zero, like for=8h; leave it out to get the role's default"},
	{name: "ErrDevicesEmpty", text: "request devices=", err: "devices= names no devices: list serials or device ids separated by commas, or use tag:NAME"},
	{name: "ErrDevicesOnlyCommas", text: `request devices=" , ,"`, err: "devices= names no devices: list serials or device ids separated by commas, or use tag:NAME"},
	{name: "ErrDevicesEmptyTag", text: "request devices=a,tag:", err: "devices= has tag: without a name: write it like tag:field-test"},
	{name: "ErrDevicesBlankTag", text: `request devices="TAG:  "`, err: "devices= has tag: without a name: write it like tag:field-test"},
	{name: "ErrDevicesTooMany", text: "request devices=" + numbered("d", 101), err: "devices= names 101 devices, more than the 100 one request may hold: use tag:NAME for a group"},
	{name: "ErrReasonEmpty", text: `request reason=""`, err: `reason= is empty: say why you need access, like reason="firmware test", or leave it out`},
	{name: "ErrReasonTooLong", text: `request reason="` + strings.Repeat("a", 501) + `"`, err: "the reason is 501 characters long: keep it to 500"},
	{name: "ErrUnterminatedDouble", text: `request reason="field test`, err: `unterminated quote in reason="…: close it with a matching quote`},
	{name: "ErrUnterminatedSmart", text: "request reason=“field test", err: "unterminated quote in reason=“…: close it with a matching quote"},
	{name: "ErrUnterminatedSingle", text: "request role=x reason='it's", err: "unterminated quote in reason='…: close it with a matching quote"},
	{name: "ErrUnterminatedEscapedClose", text: `request reason="a\"`, err: `unterminated quote in reason="…: close it with a matching quote`},
	{name: "ErrUnterminatedTextAfterClose", text: `request reason="a"b`, err: `unterminated quote in reason="…: close it with a matching quote`},
	{name: "ErrUnterminatedPositional", text: `request "role=x`, err: `unterminated quote in "…: close it with a matching quote`},
	{name: "ErrMismatchedFamilies", text: `request reason="a'`, err: `unterminated quote in reason="…: close it with a matching quote`},

	// errors: ids
	{name: "ErrStatusNoID", text: "status", err: "status needs a request id, like: status R42"},
	{name: "ErrStatusBadID", text: "status foo", err: `status needs a request id like R42, not "foo"`},
	{name: "ErrStatusZeroID", text: "status R0", err: `status needs a request id like R42, not "R0"`},
	{name: "ErrStatusNegativeID", text: "status -4", err: `status needs a request id like R42, not "-4"`},
	{name: "ErrStatusOverflowID", text: "status R18446744073709551616", err: `status needs a request id like R42, not "R18446744073709551616"`},
	{name: "ErrStatusKeyedID", text: "status id=R42", err: `status needs a request id like R42, not "id=R42"`},
	{name: "ErrStatusTwoIDs", text: "status R1 R2", err: "status takes one id, like: status R42"},
	{name: "ErrApproveNoID", text: "approve", err: "approve needs a request id, like: approve R42"},
	{name: "ErrApproveExtra", text: "approve R1 please", err: "approve takes one id, like: approve R42"},
	{name: "ErrCancelNoID", text: "cancel", err: "cancel needs a request id, like: cancel R42"},
	{name: "ErrCancelExtra", text: "cancel R1 now", err: "cancel takes one id, like: cancel R42"},
	{name: "ErrDenyNoID", text: "deny", err: "deny needs a request id, like: deny R42 the role is too broad"},
	{name: "ErrDenyBadID", text: "deny too broad", err: `deny needs a request id like R42, not "too"`},
	{name: "ErrDenyReasonTooLong", text: "deny R1 " + strings.Repeat("b", 501), err: "the reason is 501 characters long: keep it to 500"},
	{name: "ErrRevokeNoID", text: "revoke", err: "revoke needs a request id, like: revoke R42 done testing"},
	{name: "ErrRevokeBadID", text: "revoke <@U123|bob>", err: `revoke needs a request id like R42, not "&lt;@U123|bob&gt;"`},

	// errors: verbs without arguments
	{name: "ErrListExtra", text: "list all", err: "list takes nothing after it, like: list"},
	{name: "ErrPendingExtra", text: "pending R1", err: "pending takes nothing after it, like: pending"},
	{name: "ErrRolesExtra", text: "roles viewer", err: "roles takes nothing after it, like: roles"},

	// errors: extend
	{name: "ErrExtendNothing", text: "extend", err: "extend needs an id and a duration, like: extend R42 24h"},
	{name: "ErrExtendNoDuration", text: "extend R42", err: "extend needs an id and a duration, like: extend R42 24h"},
	{name: "ErrExtendBadID", text: "extend 24h", err: `extend needs a request id like R42, not "24h"`},
	{name: "ErrExtendBadDuration", text: "extend R42 soon", err: `extend: "soon" is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h`},
	{name: "ErrExtendSigned", text: "extend R42 +8h", err: `extend: "+8h" is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h`},
	{name: "ErrExtendOtherKey", text: "extend R42 by=8h", err: `extend: "by=8h" is not a duration: write it like 90s, 45m, 8h, 7d or 1d12h`},
	{name: "ErrExtendZero", text: "extend R42 0h", err: "extend needs a duration longer than zero, like: extend R42 24h"},
	{name: "ErrExtendExtra", text: "extend R42 8h please", err: "extend takes an id and a duration, like: extend R42 24h"},

	// errors: audit
	{name: "ErrAuditZero", text: "audit 0", err: "audit takes a number of entries from 1 to 1000, like: audit 50"},
	{name: "ErrAuditTooMany", text: "audit 1001", err: "audit takes a number of entries from 1 to 1000, like: audit 50"},
	{name: "ErrAuditNegative", text: "audit -5", err: "audit takes a number of entries from 1 to 1000, like: audit 50"},
	{name: "ErrAuditPlus", text: "audit +5", err: "audit takes a number of entries from 1 to 1000, like: audit 50"},
	{name: "ErrAuditWord", text: "audit all", err: "audit takes a number of entries from 1 to 1000, like: audit 50"},
	{name: "ErrAuditExtra", text: "audit 5 6", err: "audit takes at most one number, like: audit 50"},
}

// numbered returns "p1,p2,…,pN".
func numbered(prefix string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = prefix + strconv.Itoa(i+1)
	}
	return strings.Join(parts, ",")
}

func TestParseCommand(t *testing.T) {
	for _, tc := range parseCommandCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bot.ParseCommand(tc.text)
			if tc.err != "" {
				if err == nil {
					t.Fatalf("ParseCommand(%q) = %+v, want error %q", tc.text, got, tc.err)
				}
				var ue *bot.UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("ParseCommand(%q) error %T, want *bot.UsageError", tc.text, err)
				}
				if !errors.Is(err, commands.ErrInvalid) {
					t.Errorf("ParseCommand(%q): errors.Is(err, commands.ErrInvalid) = false", tc.text)
				}
				if err.Error() != tc.err {
					t.Fatalf("ParseCommand(%q) error:\n got %s\nwant %s", tc.text, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCommand(%q): %v", tc.text, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("ParseCommand(%q) mismatch (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

func TestUsageErrorIsNotOtherCodes(t *testing.T) {
	_, err := bot.ParseCommand("status")
	if err == nil {
		t.Fatal("ParseCommand(status): no error")
	}
	if errors.Is(err, commands.ErrNotFound) {
		t.Fatal("errors.Is(usage error, commands.ErrNotFound) = true, want false")
	}
}

func TestUsage(t *testing.T) {
	verbs := []bot.Verb{
		bot.VerbHelp, bot.VerbRequest, bot.VerbList, bot.VerbStatus, bot.VerbPending, bot.VerbApprove,
		bot.VerbDeny, bot.VerbCancel, bot.VerbRevoke, bot.VerbExtend, bot.VerbRoles, bot.VerbAudit, bot.VerbOrphans,
		bot.VerbReview,
	}
	for _, tc := range []struct {
		name, arg, prefix string
	}{
		{name: "OK", arg: "/cakegate", prefix: "`/cakegate "},
		{name: "OtherName", arg: "/access", prefix: "`/access "},
		{name: "NoSlash", arg: "access", prefix: "`/access "},
		{name: "Empty", arg: "", prefix: "`/cakegate "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(bot.Usage(tc.arg), "\n")
			if len(lines) != len(verbs) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(verbs), bot.Usage(tc.arg))
			}
			for i, v := range verbs {
				if !strings.HasPrefix(lines[i], tc.prefix+string(v)) {
					t.Errorf("line %d = %q, want it to start with %q", i, lines[i], tc.prefix+string(v))
				}
			}
		})
	}
}

// TestUsageExamplesParse checks that every example the usage shows is accepted as written,
// with its placeholders filled in.
func TestUsageExamplesParse(t *testing.T) {
	fill := strings.NewReplacer("[N]", "10", "[reason…]", "some reason", "[", "", "]", "", "ID", "R42",
		"DURATION", "24h", "role=R", "role=viewer", "a,b|tag:x", "a,b")
	for _, line := range strings.Split(bot.Usage("/cakegate"), "\n") {
		cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "`/cakegate "), "`")
		text := fill.Replace(cmd)
		if _, err := bot.ParseCommand(text); err != nil {
			t.Errorf("usage line %q: ParseCommand(%q): %v", line, text, err)
		}
	}
}
