package vmtest

import "testing"

func TestCompareDebianVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"6.1.192-3", "6.1.192-3", 0},
		{"6.1.192-2", "6.1.192-3", -1},
		{"6.1.99-1", "6.1.192-1", -1},
		{"6.12.118-1~deb12u1", "6.12.118-1", -1}, // ~ sorts before the end
		{"6.12.118-1~deb12u1", "6.12.117-1~deb12u1", 1},
		{"6.12.90-2~bpo12+1", "6.12.90-1~bpo12+1", 1},
		{"6.12.95-1~bpo12+1", "6.12.100-1~deb12u1", -1},
		{"1:1.0-1", "2.0-1", 1}, // epoch first
		{"1.0", "1.0-0", 0},
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0+", -1}, // letters before other characters
		{"1.0~rc1", "1.0", -1},
		{"1.01", "1.1", 0},
		{"7.2.13-1", "7.10.1-1", -1},
	} {
		if got := CompareDebianVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareDebianVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareDebianVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareDebianVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
