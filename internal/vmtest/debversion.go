package vmtest

import (
	"strconv"
	"strings"
)

// CompareDebianVersions orders two Debian package versions as dpkg does
// (epoch, upstream version, revision; '~' sorts before everything, even the
// end): -1, 0 or 1.
func CompareDebianVersions(a, b string) int {
	ea, ua, ra := splitDebianVersion(a)
	eb, ub, rb := splitDebianVersion(b)
	if ea != eb {
		if ea < eb {
			return -1
		}
		return 1
	}
	if c := compareVersionPart(ua, ub); c != 0 {
		return c
	}
	return compareVersionPart(ra, rb)
}

func splitDebianVersion(v string) (epoch int, upstream, revision string) {
	if e, rest, ok := strings.Cut(v, ":"); ok {
		epoch, _ = strconv.Atoi(e)
		v = rest
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// compareVersionPart is dpkg's verrevcmp: alternating runs of non-digits
// (compared character by character, letters before other characters) and
// digits (compared as numbers).
func compareVersionPart(a, b string) int {
	for a != "" || b != "" {
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			ca, cb := versionCharOrder(a), versionCharOrder(b)
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			a, b = a[min(1, len(a)):], b[min(1, len(b)):]
		}
		na, nb := leadingDigits(a), leadingDigits(b)
		a, b = a[len(na):], b[len(nb):]
		na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
		if len(na) != len(nb) {
			if len(na) < len(nb) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(na, nb); c != 0 {
			return c
		}
	}
	return 0
}

// versionCharOrder weighs the first character of s: '~' lowest, then the
// end of the string or a digit, then letters, then everything else.
func versionCharOrder(s string) int {
	switch {
	case s == "" || isDigit(s[0]):
		return 0
	case s[0] == '~':
		return -1
	case 'A' <= s[0] && s[0] <= 'Z' || 'a' <= s[0] && s[0] <= 'z':
		return int(s[0])
	default:
		return int(s[0]) + 256
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}
