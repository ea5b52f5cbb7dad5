package output

import "testing"

// Names a hostile process can give itself, as they must reach a terminal.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"python3":                  "python3",
		"a b":                      "a b",
		"\x1b[31mred\x1b[0m":       `\x1b[31mred\x1b[0m`,
		"\x1b]0;title\x07":         `\x1b]0;title\x07`,
		"line\nnext":               `line\nnext`,
		"cr\rtab\t":                `cr\rtab\t`,
		"del\x7f":                  `del\x7f`,
		"c1\u009b2J":               `c1\u{009b}2J`,
		"bad\xff\xfeutf8":          `bad\xff\xfeutf8`,
		`back\slash`:               `back\\slash`,
		"naïve 名前":                 "naïve 名前",
		"bidi\u202eevil":           `bidi\u{202e}evil`,
		"nul\x00":                  `nul\x00`,
		"\xc3":                     `\xc3`, // a truncated rune
		"\x1b[2J\x1b[H\x1b[?1049h": `\x1b[2J\x1b[H\x1b[?1049h`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
		for _, c := range []byte(Printable(in)) {
			if c < 0x20 || c == 0x7f {
				t.Errorf("Printable(%q) still holds byte %#x", in, c)
			}
		}
	}
}
