package flame

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

const svgNS = "http://www.w3.org/2000/svg"

// checkSelfContained fails on anything that would load from elsewhere.
func checkSelfContained(t *testing.T, doc string, svg bool) {
	t.Helper()
	for _, m := range regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>]*`).FindAllString(doc, -1) {
		if svg && m == svgNS {
			continue
		}
		t.Errorf("external URL %q", m)
	}
	if svg && strings.Count(doc, svgNS) != 1 {
		t.Errorf("SVG namespace appears %d times", strings.Count(doc, svgNS))
	}
	for _, pat := range []string{`(?i)\b(src|href|xlink:href|action|srcset)\s*=`, `(?i)@import`, `(?i)url\(`, `(?i)<link\b`, `(?i)<iframe\b`, `(?i)fetch\(`, `(?i)XMLHttpRequest`, `(?i)@font-face`} {
		if loc := regexp.MustCompile(pat).FindStringIndex(doc); loc != nil {
			t.Errorf("found %q: ...%s...", pat, doc[max(0, loc[0]-40):min(len(doc), loc[1]+40)])
		}
	}
}

// pageData extracts and decodes the JSON handed to the script.
func pageData(t *testing.T, doc string) map[string]any {
	t.Helper()
	const start = "var FLAME_DATA = "
	i := strings.Index(doc, start)
	if i < 0 {
		t.Fatal("no FLAME_DATA in output")
	}
	rest := doc[i+len(start):]
	j := strings.Index(rest, ";\n")
	if k := strings.Index(rest, ";</script>"); k >= 0 && (j < 0 || k < j) {
		j = k
	}
	if j < 0 {
		t.Fatal("unterminated FLAME_DATA")
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(rest[:j]), &d); err != nil {
		t.Fatalf("FLAME_DATA is not JSON: %v", err)
	}
	return d
}

// treeNames lists every frame name in the data tree.
func treeNames(n []any, out map[string][2]float64) {
	out[n[0].(string)] = [2]float64{n[1].(float64), n[2].(float64)}
	if len(n) > 3 {
		for _, c := range n[3].([]any) {
			treeNames(c.([]any), out)
		}
	}
}

func TestWriteHTML(t *testing.T) {
	var buf bytes.Buffer
	opts := Options{Title: "Incident " + evilName, Subtitle: `host "db1" & <b>friends</b>`, Weight: WeightTime}
	if err := WriteHTML(&buf, exampleSamples(), opts); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	if !strings.HasPrefix(doc, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(doc), "</html>") {
		t.Error("not a complete HTML document")
	}
	checkSelfContained(t, doc, false)
	if n := strings.Count(doc, "<script"); n != 2 {
		t.Errorf("%d <script tags, want 2 (data and code): something is unescaped", n)
	}
	if strings.Contains(doc, "alert(1)</script>") || strings.Contains(doc, "<b>friends") {
		t.Error("unescaped markup from names, title or subtitle")
	}
	for _, want := range []string{
		"<title>Incident &lt;script&gt;alert(1)&lt;/script&gt;</title>",
		"host &#34;db1&#34; &amp; &lt;b&gt;friends&lt;/b&gt;",
		`id="flame-svg"`, `id="flame-search"`, `id="flame-reset"`,
		"host root at the <b>top</b>",
		"33m 34s", // total zombie time
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	d := pageData(t, doc)
	if d["weight"] != "time" {
		t.Errorf("weight = %v", d["weight"])
	}
	names := map[string][2]float64{}
	treeNames(d["tree"].([]any), names)
	for _, s := range exampleSamples() {
		for _, f := range s.Frames {
			if _, ok := names[f]; !ok {
				t.Errorf("frame %q missing from the page data", f)
			}
		}
	}
	if v := names["postgres 1500"]; v != [2]float64{400e6, 200} {
		t.Errorf("postgres 1500 = %v", v)
	}
	if v := names["all"]; v[1] != 220 {
		t.Errorf("root count = %v", v)
	}
	if !strings.Contains(doc, `\u003cscript\u003ealert(1)\u003c/script\u003e 6001`) {
		t.Error("script name not JS-escaped in the data")
	}

	buf.Reset()
	if err := WriteHTML(&buf, exampleSamples(), Options{Weight: WeightCount}); err != nil {
		t.Fatal(err)
	}
	if d := pageData(t, buf.String()); d["weight"] != "count" {
		t.Errorf("count weight not passed: %v", d["weight"])
	}
	if !strings.Contains(buf.String(), "<title>"+DefaultTitle+"</title>") {
		t.Error("default title missing")
	}
	if !strings.Contains(buf.String(), `value="count" checked`) {
		t.Error("count radio not checked")
	}
}

// wellFormedXML decodes the whole document strictly and returns its text.
func wellFormedXML(t *testing.T, doc string) (root xml.StartElement, text string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	dec.Strict = true
	var sb strings.Builder
	first := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if first {
				root, first = tk.Copy(), false
			}
		case xml.CharData:
			sb.Write(tk)
			sb.WriteByte('\n')
		}
	}
	return root, sb.String()
}

func TestWriteSVG(t *testing.T) {
	var buf bytes.Buffer
	opts := Options{Title: "Incident " + evilName, Subtitle: `"quotes" & ]]> <b>`}
	if err := WriteSVG(&buf, exampleSamples(), opts); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	checkSelfContained(t, doc, true)
	root, text := wellFormedXML(t, doc)
	if root.Name.Local != "svg" || root.Name.Space != svgNS {
		t.Fatalf("root element %v", root.Name)
	}
	if strings.Count(doc, "<script") != 1 {
		t.Error("markup from names or title not escaped")
	}
	for _, want := range []string{
		"Incident " + evilName, // title, decoded from escaped text
		`"quotes" & ]]> <b>`,
		"all zombies", "systemd 1", "containerd-shim 2000", "python3 4242", // static labels
		"icicle graph: host root at the top",
		`\u003cscript\u003ealert(1)\u003c/script\u003e 6001`, // in the script data
		"Width: zombie time",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("SVG text lacks %q", want)
		}
	}
	d := pageData(t, doc)
	if d["width"].(float64) != svgWidth || d["top"].(float64) != svgTop {
		t.Errorf("layout data: %v", d)
	}
	// a full-width frame named like markup gets an escaped static label
	buf.Reset()
	if err := WriteSVG(&buf, []Sample{{Frames: []string{evilName, `a"b'c&d`}, ZombieNS: 1}}, Options{}); err != nil {
		t.Fatal(err)
	}
	_, text = wellFormedXML(t, buf.String())
	if !strings.Contains(text, evilName) || !strings.Contains(text, `a"b'c&d`) || strings.Contains(buf.String(), "<script>alert") {
		t.Errorf("static label escaping wrong:\n%s", buf.String())
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, w := range []func(io.Writer, []Sample, Options) error{WriteHTML, WriteSVG} {
		var buf bytes.Buffer
		if err := w(&buf, nil, Options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "No zombies were recorded.") {
			t.Error("empty report does not say so")
		}
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	wellFormedXML(t, buf.String())
}

// largeSamples makes n zombies spread over a deep, wide tree.
func largeSamples(n int) []Sample {
	out := make([]Sample, 0, n)
	for i := 0; i < n; i++ {
		frames := []string{"systemd 1",
			fmt.Sprintf("service-%d %d", i%37, 100+i%37),
			fmt.Sprintf("worker-pool %d", 1000+i%211),
			fmt.Sprintf("job %d", 5000+i%1999),
			fmt.Sprintf("zombie %d", 100000+i)}
		out = append(out, Sample{Frames: frames, ZombieNS: uint64(1e6 + (i*7919)%1000*1e6), Count: 1})
	}
	return out
}

func TestLargeInput(t *testing.T) {
	samples := largeSamples(50000)
	for _, c := range []struct {
		name string
		w    func(io.Writer, []Sample, Options) error
	}{{"html", WriteHTML}, {"svg", WriteSVG}, {"folded", func(w io.Writer, s []Sample, o Options) error { return WriteFolded(w, s, o.Weight) }}, {"pprof", func(w io.Writer, s []Sample, _ Options) error { return WritePprof(w, s) }}} {
		var buf bytes.Buffer
		start := time.Now()
		if err := c.w(&buf, samples, Options{}); err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		t.Logf("%s: %d bytes in %v", c.name, buf.Len(), el)
		if buf.Len() > 16<<20 {
			t.Errorf("%s: %d bytes for 50k samples", c.name, buf.Len())
		}
		if el > 20*time.Second {
			t.Errorf("%s: took %v", c.name, el)
		}
		if c.name == "svg" {
			static := strings.Count(buf.String(), `<g class="f">`)
			t.Logf("svg: %d static frames", static)
			if static > 20000 {
				t.Errorf("svg: %d static frames: tiny frames were not skipped", static)
			}
			wellFormedXML(t, buf.String())
		}
	}
}
