package flame

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	texttemplate "text/template"
	"unicode/utf16"
)

// Layout constants shared by the Go-side static rendering and the page
// script (they are passed to it in the data).
const (
	svgWidth    = 1200 // width of the standalone SVG
	svgPad      = 10   // left/right margin of the standalone SVG
	svgTop      = 84   // y of the first frame row in the standalone SVG
	svgBottom   = 34   // room below the frames for the detail line
	rowHeight   = 18   // height of one frame row (17 px box + 1 px gap)
	fontSize    = 12   // label font size in px
	charWidth   = 7.0  // estimated average label character width (static SVG)
	minFrameW   = 0.1  // frames narrower than this (px) are not drawn
	labelMargin = 3    // px of padding left of a label
)

//go:embed flame.js
var flameJS string

//go:embed page.html.tmpl
var pageTmplText string

//go:embed graph.svg.tmpl
var svgTmplText string

var (
	pageTmpl = template.Must(template.New("page").Parse(pageTmplText))
	svgTmpl  = texttemplate.Must(texttemplate.New("svg").Funcs(texttemplate.FuncMap{
		"x":     xmlText,
		"half":  func(v int) int { return v / 2 },
		"minus": func(a, b int) int { return a - b },
	}).Parse(svgTmplText))
)

// report is what both templates render.
type report struct {
	Title      string
	Subtitle   string
	Weight     string // "time" or "count": the initial width metric
	TotalTime  string // human units
	TotalCount uint64
	Stacks     int // distinct stacks
	Empty      bool
	Data       json.RawMessage // tree + layout for the script
	JS         template.JS

	// standalone SVG only
	Width, Height int
	DetailsY      int
	Static        []staticFrame
}

type staticFrame struct {
	X, Y, W, H string
	Fill       string
	Label      string
}

func newReport(samples []Sample, opts Options, standalone bool) (*report, *node, error) {
	if !opts.Weight.valid() {
		return nil, nil, fmt.Errorf("flame: unknown weight %v", opts.Weight)
	}
	root := buildTree(samples)
	r := &report{
		Title:      cleanName(opts.Title),
		Subtitle:   opts.Subtitle,
		Weight:     opts.Weight.String(),
		TotalTime:  FormatDuration(root.timeNS),
		TotalCount: root.count,
		Stacks:     countStacks(samples),
		Empty:      len(samples) == 0,
		JS:         template.JS(flameJS),
	}
	if opts.Title == "" {
		r.Title = DefaultTitle
	}
	if opts.Subtitle != "" {
		r.Subtitle = cleanName(opts.Subtitle)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"weight":`)
	writeJSONString(&buf, r.Weight)
	fmt.Fprintf(&buf, `,"row":%d,"font":%d,"minW":%g`, rowHeight, fontSize, minFrameW)
	if standalone {
		fmt.Fprintf(&buf, `,"width":%d,"pad":%d,"top":%d`, svgWidth, svgPad, svgTop)
	} else {
		buf.WriteString(`,"width":0,"pad":0,"top":0`)
	}
	buf.WriteString(`,"tree":`)
	writeTreeJSON(&buf, root)
	buf.WriteByte('}')
	r.Data = buf.Bytes()
	return r, root, nil
}

func countStacks(samples []Sample) int {
	seen := make(map[string]struct{}, len(samples))
	for _, s := range samples {
		seen[strings.Join(s.frames(), "\x00")] = struct{}{}
	}
	return len(seen)
}

// writeTreeJSON encodes the tree compactly as nested arrays:
// [name, zombieNS, count] or [name, zombieNS, count, [children...]].
// Strings are JSON-escaped with <, >, & and U+2028/9 escaped, so the result
// is safe inside <script> and inside an XML CDATA section.
func writeTreeJSON(buf *bytes.Buffer, n *node) {
	buf.WriteByte('[')
	writeJSONString(buf, n.name)
	buf.WriteByte(',')
	buf.WriteString(strconv.FormatUint(n.timeNS, 10))
	buf.WriteByte(',')
	buf.WriteString(strconv.FormatUint(n.count, 10))
	if len(n.children) > 0 {
		buf.WriteString(",[")
		for i, c := range n.children {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeTreeJSON(buf, c)
		}
		buf.WriteByte(']')
	}
	buf.WriteByte(']')
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, err := json.Marshal(s) // escapes <, >, &, U+2028, U+2029; s is valid UTF-8
	if err != nil {
		b = []byte(`"?"`)
	}
	buf.Write(b)
}

// WriteHTML writes a self-contained interactive flame graph page (an icicle
// graph: host root at the top, zombies at the bottom). It needs no network
// access: CSS, script and data are inline. Hover a frame for its zombie
// time, zombie count and share of the total; click to zoom; search with a
// regular expression; switch the width between zombie time and count.
func WriteHTML(w io.Writer, samples []Sample, opts Options) error {
	r, _, err := newReport(samples, opts, false)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if err := pageTmpl.Execute(bw, r); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteSVG writes a self-contained interactive SVG (an icicle graph, like
// WriteHTML) with an embedded script. It also carries a static rendering of
// the graph, so viewers that do not run scripts still show the frames.
func WriteSVG(w io.Writer, samples []Sample, opts Options) error {
	r, root, err := newReport(samples, opts, true)
	if err != nil {
		return err
	}
	if bytes.Contains(r.Data, []byte("]]>")) || strings.Contains(flameJS, "]]>") {
		return errors.New("flame: script would end the CDATA section") // cannot happen: JSON escapes '>'
	}
	depth := root.depth()
	r.Width = svgWidth
	r.DetailsY = svgTop + (depth+1)*rowHeight + 22
	r.Height = r.DetailsY + svgBottom - 22
	r.Static = layoutStatic(root, opts.Weight)
	bw := bufio.NewWriter(w)
	if err := svgTmpl.Execute(bw, r); err != nil {
		return err
	}
	return bw.Flush()
}

// frameBox is one drawn frame of a layout.
type frameBox struct {
	n     *node
	depth int
	x, w  float64 // px
}

// layout places the frames of the tree under root in a graph w px wide,
// icicle style (depth 0 = root row), children ordered by weight
// (heaviest first, then by name), skipping frames narrower than minFrameW.
func layout(root *node, weight Weight, x0, width float64) []frameBox {
	var out []frameBox
	var walk func(n *node, depth int, x, w float64)
	walk = func(n *node, depth int, x, w float64) {
		out = append(out, frameBox{n: n, depth: depth, x: x, w: w})
		total := n.value(weight)
		if total == 0 {
			return
		}
		kids := append([]*node(nil), n.children...)
		sortByWeight(kids, weight)
		cx := x
		for _, c := range kids {
			cw := w * float64(c.value(weight)) / float64(total)
			if cw >= minFrameW {
				walk(c, depth+1, cx, cw)
			}
			cx += cw
		}
	}
	if root.value(weight) > 0 {
		walk(root, 0, x0, width)
	}
	return out
}

func sortByWeight(kids []*node, weight Weight) {
	sort.Slice(kids, func(i, j int) bool {
		va, vb := kids[i].value(weight), kids[j].value(weight)
		if va != vb {
			return va > vb
		}
		return kids[i].name < kids[j].name
	})
}

func layoutStatic(root *node, weight Weight) []staticFrame {
	boxes := layout(root, weight, svgPad, svgWidth-2*svgPad)
	out := make([]staticFrame, 0, len(boxes))
	for _, b := range boxes {
		y := svgTop + b.depth*rowHeight
		rw := b.w
		if rw > 2 {
			rw -= 1
		}
		name := b.n.name
		zombie := b.n.selfCount > 0
		if b.depth == 0 {
			name = "all zombies"
		}
		out = append(out, staticFrame{
			X:     strconv.FormatFloat(b.x, 'f', 2, 64),
			Y:     strconv.Itoa(y),
			W:     strconv.FormatFloat(rw, 'f', 2, 64),
			H:     strconv.Itoa(rowHeight - 1),
			Fill:  frameColor(name, zombie, b.depth == 0),
			Label: fitLabel(name, b.w-2*labelMargin, charWidth),
		})
	}
	return out
}

// fitLabel truncates s to what fits in w px at cw px per character, with
// ".." marking the cut; "" when fewer than 3 characters fit.
func fitLabel(s string, w, cw float64) string {
	max := int(w / cw)
	if max < 3 {
		return ""
	}
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-2]) + ".."
}

// colorKey is the part of a frame name that picks its colour: the name
// without a trailing " <pid>", so every "sleep" has the same colour.
func colorKey(name string) string {
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i < len(name) && i > 0 && (name[i-1] == ' ' || name[i-1] == '\t') {
		return strings.TrimRight(name[:i], " \t")
	}
	return name
}

// nameHash is FNV-1a over the UTF-16 code units of s (as the page script
// computes it, so both renderings agree).
func nameHash(s string) uint32 {
	h := uint32(2166136261)
	for _, u := range utf16.Encode([]rune(s)) {
		h ^= uint32(u)
		h *= 16777619
	}
	return h
}

// frameColor is the fill of a frame: a warm colour for processes that hold
// zombies below them, a pale zombie green for zombies themselves, a neutral
// tone for the synthetic root. Deterministic per name.
func frameColor(name string, zombie, root bool) string {
	if root {
		return "rgb(214,208,196)"
	}
	h := nameHash(colorKey(name))
	v1, v2, v3 := h&0xff, (h>>8)&0xff, (h>>16)&0xff
	if zombie {
		return fmt.Sprintf("rgb(%d,%d,%d)", 120+50*v1/255, 190+45*v2/255, 100+40*v3/255)
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", 205+50*v1/255, 70+160*v2/255, 55*v3/255)
}

// xmlText escapes s for XML character data and attribute values.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
