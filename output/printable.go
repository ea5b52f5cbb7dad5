package output

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable makes s safe for a terminal and for a line-based file: any
// process can set its own name (prctl, or its executable's file name) to
// bytes that move the cursor, recolour the terminal or start a new line of
// a table. Control characters (C0, DEL, C1), other unprintable runes (format
// characters such as bidirectional overrides) and invalid UTF-8 become
// escapes: \t, \n, \r, \\, \xNN for a byte, \u{NNNN} for a rune. JSON output
// needs none of this: its encoder escapes.
func Printable(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && (r < 0x20 || r == 0x7f):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\u{%04x}`, r)
		}
		i += size
	}
	return b.String()
}

// isPlain: printable ASCII without a backslash, the common case, unchanged.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
