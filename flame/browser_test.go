package flame

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zombietrace/zombietrace/internal/testenv"
)

const chromiumBin = "/usr/bin/chromium"

// chromium returns the browser, skipping the test when it is missing
// (failing it where the suite must run whole: make deps installs it).
func chromium(t *testing.T) string {
	t.Helper()
	_, err := os.Stat(chromiumBin)
	testenv.Need(t, err == nil, chromiumBin+" not installed (apt-get install -y chromium)")
	return chromiumBin
}

// runChromium runs headless chromium on a local file with no network use
// and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // its helpers too
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func writeFile(t *testing.T, path string, w func(io.Writer) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

var drawnFrameRE = regexp.MustCompile(`<g class="f( anc)?" data-i="\d+">(?:<title>[^<]*</title>)?<rect ([^>]*)>(?:</rect>)?(?:<text [^>]*>([^<]*)</text>)?</g>`)
var attrRE = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)

type drawnFrame struct {
	label string
	attrs map[string]string
}

// drawnFrames lists the frames the script drew in a dumped DOM.
func drawnFrames(dom string) []drawnFrame {
	var out []drawnFrame
	for _, m := range drawnFrameRE.FindAllStringSubmatch(dom, -1) {
		f := drawnFrame{label: html.UnescapeString(m[3]), attrs: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			f.attrs[a[1]] = a[2]
		}
		out = append(out, f)
	}
	return out
}

func checkDrawn(t *testing.T, dom string, kind string) {
	t.Helper()
	if !strings.Contains(dom, `data-rendered="js"`) {
		t.Fatalf("%s: the script did not run (no data-rendered in the dumped DOM):\n%.3000s", kind, dom)
	}
	frames := drawnFrames(dom)
	if len(frames) < 20 {
		t.Fatalf("%s: only %d frames drawn", kind, len(frames))
	}
	labels := map[string]drawnFrame{}
	for _, f := range frames {
		labels[f.label] = f
	}
	for _, want := range []string{"all zombies", "systemd 1", "containerd-shim 2000", "python3 4242", "sshd 800"} {
		if _, ok := labels[want]; !ok {
			t.Errorf("%s: no frame labelled %q", kind, want)
		}
	}
	// colours agree with the Go side (same hash and palette)
	if f, ok := labels["sshd 800"]; ok && f.attrs["fill"] != frameColor("sshd 800", false, false) {
		t.Errorf("%s: sshd 800 fill %s, Go says %s", kind, f.attrs["fill"], frameColor("sshd 800", false, false))
	}
	if f, ok := labels["worker 2204"]; ok && f.attrs["fill"] != frameColor("worker 2204", true, false) {
		t.Errorf("%s: zombie worker fill %s, Go says %s", kind, f.attrs["fill"], frameColor("worker 2204", true, false))
	}
	if strings.Contains(dom, "<script>alert(1)") {
		t.Errorf("%s: a frame name became markup", kind)
	}
	t.Logf("%s: %d frames drawn by the script", kind, len(frames))
}

// checkScreenshot decodes the PNG and checks that a graph was painted.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	b := img.Bounds()
	colours := map[[3]uint32]int{}
	warm, green := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			colours[[3]uint32{r, g, bl}]++
			if r >= 205 && g >= 70 && g <= 230 && bl <= 55 {
				warm++
			}
			if g >= 190 && r >= 120 && r <= 170 && bl >= 100 && bl <= 140 {
				green++
			}
		}
	}
	t.Logf("%s: %dx%d, %d colours, %d warm and %d zombie-green sampled pixels", path, b.Dx(), b.Dy(), len(colours), warm, green)
	if len(colours) < 2 {
		t.Fatalf("%s is blank", path)
	}
	if len(colours) < 20 || warm < 500 || green < 100 {
		t.Errorf("%s does not look like a flame graph: %d colours, %d warm, %d green pixels", path, len(colours), warm, green)
	}
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func TestBrowserHTML(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "zombies.html")
	opts := Options{Title: "Zombie time by process ancestry", Subtitle: "host db1 · 2026-01-05 10:00–10:35 UTC", Weight: WeightTime}
	writeFile(t, page, func(w io.Writer) error { return WriteHTML(w, exampleSamples(), opts) })

	dom := string(runChromium(t, bin, "--dump-dom", "file://"+page))
	checkDrawn(t, dom, "html")

	shot := filepath.Join(dir, "zombies.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,800", "file://"+page)
	checkScreenshot(t, shot)
	if err := copyFile(shot, "/tmp/flame-screenshot.png"); err != nil {
		t.Logf("could not leave a copy at /tmp/flame-screenshot.png: %v", err)
	}
}

// interactionScript drives the page like a person: hover, click to zoom,
// search, reset, switch to count; it records what it saw in #flame-test.
const interactionScript = `<script>
(function () {
  var out = {};
  var svg = document.getElementById("flame-svg");
  function frame(label) {
    var gs = svg.querySelectorAll("g.f");
    for (var i = 0; i < gs.length; i++) { var t = gs[i].querySelector("text"); if (t && t.textContent === label) return gs[i]; }
    return null;
  }
  function rectOf(label) { var g = frame(label); return g ? g.querySelector("rect") : null; }
  function magenta() { return svg.querySelectorAll('rect[fill="rgb(230,0,230)"]').length; }
  out.framesBefore = +svg.getAttribute("data-frames");
  out.svgWidth = +svg.getAttribute("width");
  var r = rectOf("python3 4242"), box = r.getBoundingClientRect();
  out.pyWidthBefore = +r.getAttribute("width");
  r.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: box.left + 5, clientY: box.top + 5 }));
  var tip = document.getElementById("flame-tip");
  out.tip = tip.textContent; out.tipDisplay = tip.style.display;
  out.details = document.getElementById("flame-details").textContent;
  r.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  out.framesZoomed = +svg.getAttribute("data-frames");
  out.pyWidthZoomed = +rectOf("python3 4242").getAttribute("width");
  out.sleepLabel = !!frame("sleep 4259");
  out.ancestors = svg.querySelectorAll("g.f.anc").length;
  out.resetDisabled = document.getElementById("flame-reset").disabled;
  var s = document.getElementById("flame-search");
  s.value = "^sleep"; s.dispatchEvent(new Event("input", { bubbles: true }));
  out.matched = document.getElementById("flame-matched").textContent;
  out.magentaZoomed = magenta();
  document.getElementById("flame-reset").click();
  out.framesReset = +svg.getAttribute("data-frames");
  out.magentaReset = magenta();
  s.value = "("; s.dispatchEvent(new Event("input", { bubbles: true })); // bad regex: substring search
  out.badRegex = s.className; out.badMatched = document.getElementById("flame-matched").textContent;
  s.value = ""; s.dispatchEvent(new Event("input", { bubbles: true }));
  document.querySelector('input[value="count"]').click();
  out.metric = svg.getAttribute("data-metric");
  out.pgCountWidth = +rectOf("postgres 1500").getAttribute("width");
  var pre = document.createElement("pre");
  pre.id = "flame-test"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
`

func TestBrowserInteraction(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, exampleSamples(), Options{Title: "interaction"}); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(buf.String(), "</body>", interactionScript+"</body>", 1)
	page := filepath.Join(dir, "interact.html")
	if err := os.WriteFile(page, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(runChromium(t, bin, "--window-size=1200,800", "--dump-dom", "file://"+page))
	m := regexp.MustCompile(`<pre id="flame-test">([^<]*)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("interaction script did not finish:\n%.4000s", dom)
	}
	var got struct {
		FramesBefore, FramesZoomed, FramesReset int
		SvgWidth, PyWidthBefore, PyWidthZoomed  float64
		Tip, TipDisplay, Details, Matched       string
		SleepLabel, ResetDisabled               bool
		Ancestors, MagentaZoomed, MagentaReset  int
		BadRegex, BadMatched, Metric            string
		PgCountWidth                            float64
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &got); err != nil {
		t.Fatalf("%v: %s", err, m[1])
	}
	t.Logf("%+v", got)
	// hover: name, human time, count, share
	for _, want := range []string{"python3 4242", "zombie time: 10m 25s (31.0% of total)", "zombies: 10 (4.5% of total)", "owes waits for 10 zombies"} {
		if !strings.Contains(got.Tip, want) {
			t.Errorf("tooltip lacks %q: %q", want, got.Tip)
		}
	}
	if got.TipDisplay != "block" || !strings.Contains(got.Details, "python3 4242 — zombie time 10m 25s (31.0%)") {
		t.Errorf("tooltip not shown / details %q", got.Details)
	}
	// click zooms: the frame becomes full width, its ancestors stay above it
	if got.PyWidthBefore > got.SvgWidth*0.5 || got.PyWidthZoomed < got.SvgWidth-2 {
		t.Errorf("zoom: python3 width %v -> %v of %v", got.PyWidthBefore, got.PyWidthZoomed, got.SvgWidth)
	}
	if got.Ancestors != 5 || !got.SleepLabel || got.ResetDisabled || got.FramesZoomed >= got.FramesBefore {
		t.Errorf("zoomed view: %d ancestors, sleep label %v, reset disabled %v, frames %d -> %d",
			got.Ancestors, got.SleepLabel, got.ResetDisabled, got.FramesBefore, got.FramesZoomed)
	}
	// search highlights and reports the matched share of the total
	if !strings.HasPrefix(got.Matched, "Matched: 31.0%") || got.MagentaZoomed != 10 || got.MagentaReset != 10 {
		t.Errorf("search: %q, %d/%d highlighted", got.Matched, got.MagentaZoomed, got.MagentaReset)
	}
	if got.FramesReset != got.FramesBefore {
		t.Errorf("reset: %d frames, want %d", got.FramesReset, got.FramesBefore)
	}
	if got.BadRegex != "bad" {
		t.Errorf("invalid regex not flagged")
	}
	// width by count: postgres holds 200 of 220 zombies
	if got.Metric != "count" || got.PgCountWidth < 0.85*got.SvgWidth {
		t.Errorf("count metric: %s, postgres width %v of %v", got.Metric, got.PgCountWidth, got.SvgWidth)
	}
}

func TestBrowserSVG(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "zombies.svg")
	writeFile(t, path, func(w io.Writer) error {
		return WriteSVG(w, exampleSamples(), Options{Title: "Zombie time by process ancestry", Subtitle: "host db1"})
	})
	dom := string(runChromium(t, bin, "--dump-dom", "file://"+path))
	checkDrawn(t, dom, "svg")
	if strings.Contains(dom, `id="flame-static"`) {
		t.Error("the static rendering was not replaced by the script")
	}
	if !strings.Contains(dom, "<title>python3 4242\nzombie time: 10m 25s (31.0% of total)") {
		t.Error("SVG frames lack their hover titles")
	}
	shot := filepath.Join(dir, "zombies-svg.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,"+strconv.Itoa(svgTop+8*rowHeight+60), "file://"+path)
	checkScreenshot(t, shot)
	_ = copyFile(shot, "/tmp/flame-screenshot-svg.png")
}

// A larger graph still renders in the browser and drawing skips the
// frames too narrow to see.
func TestBrowserLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "large.html")
	samples := largeSamples(50000)
	writeFile(t, page, func(w io.Writer) error { return WriteHTML(w, samples, Options{Title: "50k zombies"}) })
	start := time.Now()
	dom := string(runChromium(t, bin, "--window-size=1200,800", "--dump-dom", "file://"+page))
	m := regexp.MustCompile(`data-frames="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("large page did not render")
	}
	n, _ := strconv.Atoi(m[1])
	t.Logf("50k samples: %d frames drawn in %v", n, time.Since(start))
	root := buildTree(samples)
	total := 0
	var walk func(*node)
	walk = func(n *node) {
		total++
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(root)
	if n < 100 || n >= total {
		t.Errorf("%d of %d frames drawn: narrow frames should be skipped", n, total)
	}
}

// Screenshots of a hovered + searched page and of a zoomed, count-weighted
// page, left in /tmp for people to look at.
func TestBrowserStateScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	bin := chromium(t)
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, exampleSamples(), Options{Title: "Zombie time by process ancestry", Subtitle: "host db1"}); err != nil {
		t.Fatal(err)
	}
	const helpers = `function rectOf(label) {
  var gs = document.querySelectorAll("#flame-svg g.f");
  for (var i = 0; i < gs.length; i++) { var t = gs[i].querySelector("text"); if (t && t.textContent === label) return gs[i].querySelector("rect"); }
}
`
	for _, c := range []struct{ name, script string }{
		{"hover", `var s = document.getElementById("flame-search");
s.value = "sleep"; s.dispatchEvent(new Event("input", { bubbles: true }));
var r = rectOf("containerd-shim 2000"), b = r.getBoundingClientRect();
r.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: b.left + 60, clientY: b.top + 8 }));`},
		{"zoom", `rectOf("sshd 800").dispatchEvent(new MouseEvent("click", { bubbles: true }));
document.querySelector('input[value="count"]').click();`},
	} {
		page := filepath.Join(dir, c.name+".html")
		doc := strings.Replace(buf.String(), "</body>", "<script>\n"+helpers+c.script+"\n</script>\n</body>", 1)
		if err := os.WriteFile(page, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		shot := filepath.Join(dir, c.name+".png")
		runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,800", "file://"+page)
		checkScreenshot(t, shot)
		_ = copyFile(shot, "/tmp/flame-screenshot-"+c.name+".png")
	}
}
