package commands

import (
	"unicode"
	"unicode/utf8"
)

// CheckText returns what is wrong with free text a person wrote (what names it: "reason",
// "command"), or nil. It refuses what no one types on purpose and what could make a text
// read differently to an approver than it is: broken UTF-8, control characters (other
// than line breaks and tabs), the invisible direction marks and overrides (U+202A–U+202E,
// U+2066–U+2069, U+200E, U+200F, U+061C), and zero-width characters (U+200B, U+200C,
// U+2060, U+FEFF, U+180E, and U+200D except between emoji, where it joins them). Every use
// case that takes free text checks it here, whichever way it arrived: the slash command,
// a form, a button's reason dialog.
func CheckText(what, text string) error {
	if !utf8.ValidString(text) {
		return Errorf(CodeInvalid, "the %s is not valid UTF-8 text: retype it", what)
	}
	var prev rune
	for _, r := range text {
		switch {
		case unicode.IsControl(r) && !unicode.IsSpace(r):
			return Errorf(CodeInvalid, "the %s contains a control character (U+%04X): retype it without that character", what, r)
		case isDirectionMark(r):
			return Errorf(CodeInvalid, "the %s contains an invisible text-direction character (U+%04X): retype it without that character", what, r)
		case isZeroWidth(r) && !(r == '\u200D' && isEmojiPart(prev)):
			return Errorf(CodeInvalid, "the %s contains an invisible zero-width character (U+%04X): retype it without that character", what, r)
		}
		prev = r
	}
	return nil
}

// checkReason checks a reason as CheckText does, as an error about the reason field.
func checkReason(reason string) error {
	if err := CheckText("reason", reason); err != nil {
		return err.(*Error).about(FieldReason)
	}
	return nil
}

func isDirectionMark(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

func isZeroWidth(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u180E':
		return true
	}
	return false
}

// isEmojiPart reports whether r can stand before a zero-width joiner in an emoji sequence
// (👩‍💻): a pictograph, a variation selector or a skin-tone modifier.
func isEmojiPart(r rune) bool {
	return unicode.Is(unicode.So, r) || r == '\uFE0F' || (r >= 0x1F3FB && r <= 0x1F3FF)
}
