package vmtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The matrix's columns, from one guest's results. Which tests make which
// column is decided here by name; what the tests expect lives in the tests.
var (
	stormTests  = []string{"TestStorm", "TestOverflowIsCountedAndMarked"}
	stacksTests = []string{"TestStacks"}
	doctorTests = []string{"TestDoctor"}
)

type column int

const (
	colLoads column = iota
	colLight
	colExact
	colStacks
	colScenarios
	colStorm
	colDoctor
	numColumns
)

var columnNames = [numColumns]string{"loads", "light", "exact", "stacks", "scenarios", "storm", "doctor"}

type cellState int

const (
	cellNotRun cellState = iota // nothing of it was asked for (-run)
	cellPass
	cellFail
)

// cell is one kernel's result in one column.
type cell struct {
	State  cellState
	Text   string // shown in the table: counts
	Detail string // why it is red: the first failure's message
}

// evaluate turns a guest's console into the row's cells. ended says why
// the guest stopped early ("" when it ran to its end).
func evaluate(g *guestRun, ended string) [numColumns]cell {
	var cells [numColumns]cell
	switch {
	case g.Crash != "":
		ended = "kernel crash: " + g.Crash
	case !g.Done && ended == "":
		ended = "the guest stopped before its script ended"
	}
	cells[colLoads] = loadsCell(g, ended)

	light := g.step("load-light")
	exact := g.step("load-exact")
	if light != nil && exact != nil && light.Ended && exact.Ended && light.RC != 0 && exact.RC != 0 {
		why := "not run: the programs did not load"
		for _, c := range []column{colLight, colExact, colStacks, colScenarios, colStorm, colDoctor} {
			cells[c] = cell{State: cellFail, Text: "not run", Detail: why}
		}
		return cells
	}
	if g.Tests == nil {
		why := "not run: " + firstNonEmpty(ended, "the guest listed no tests")
		for _, c := range []column{colLight, colExact, colStacks, colScenarios, colStorm, colDoctor} {
			cells[c] = cell{State: cellFail, Text: "not run", Detail: why}
		}
		return cells
	}

	var scenarios, storm, stacks, doctor, modeLight, modeExact []testResult
	for _, name := range g.Tests {
		rs := testResults(g, name, ended)
		switch {
		case slices.Contains(stormTests, name):
			storm = append(storm, rs[0])
			continue
		case slices.Contains(stacksTests, name):
			stacks = append(stacks, rs[0])
			continue
		case slices.Contains(doctorTests, name):
			doctor = append(doctor, rs[0])
			continue
		}
		scenarios = append(scenarios, rs[0])
		for _, r := range rs[1:] {
			switch tracingMode(r.Name) {
			case "light":
				modeLight = append(modeLight, r)
			case "exact":
				modeExact = append(modeExact, r)
			}
		}
	}
	cells[colLight] = countCell(modeLight)
	if len(modeLight) == 0 && doctorObject(g) == "compat" {
		// A kernel limit, said by doctor: the compat object has no light
		// mode (no bpf_task_pt_regs), every mode ran as exact.
		cells[colLight] = cell{State: cellPass, Text: "n/a: compat"}
	}
	cells[colExact] = countCell(modeExact)
	cells[colScenarios] = countCell(scenarios)
	cells[colStorm] = countCell(storm)
	cells[colStacks] = countCell(stacks)
	cells[colDoctor] = countCell(doctor)
	return cells
}

// doctorObject is the BPF object the guest's `doctor --json` chose ("" when
// it did not say).
func doctorObject(g *guestRun) string {
	s := g.step("doctor")
	if s == nil {
		return ""
	}
	var d struct {
		Object struct {
			Name string `json:"name"`
		} `json:"object"`
	}
	if json.Unmarshal([]byte(strings.Join(s.Output, "\n")), &d) != nil {
		return ""
	}
	return d.Object.Name
}

// tracingMode is the mode a subtest of eachMode runs in: its last name
// element is the mode's name, "light" or "exact" or a variant of them
// ("light-exit-events", "light-nokfunc"). Variants with --stacks are the
// stacks column's business. "" for other subtests.
func tracingMode(name string) string {
	last := name[strings.LastIndexByte(name, '/')+1:]
	for _, m := range []string{"light", "exact"} {
		if last == m || strings.HasPrefix(last, m+"-") && !strings.HasSuffix(last, "-stacks") {
			return m
		}
	}
	return ""
}

// testResults returns the top-level result of the test name first, then
// its subtests'. A test whose step did not end, or ended without a result
// line or with a failing exit, fails.
func testResults(g *guestRun, name, ended string) []testResult {
	s := g.step("test:" + name)
	if s == nil {
		return []testResult{{Name: name, Status: testFail, Detail: "not run: " + firstNonEmpty(ended, "the guest skipped it")}}
	}
	unfinished := ""
	if !s.Ended {
		unfinished = "unfinished: " + firstNonEmpty(ended, "the guest stopped")
	}
	all := parseGoTest(s.Output, unfinished)
	top := testResult{Name: name, Status: testFail}
	var subs []testResult
	found := false
	for _, r := range all {
		if r.Name == name {
			top, found = r, true
		} else if strings.HasPrefix(r.Name, name+"/") {
			subs = append(subs, r)
		}
	}
	switch {
	case !found && s.Ended:
		top.Detail = fmt.Sprintf("no result (exit status %d): %s", s.RC, s.lastLine())
	case !found:
		top.Detail = unfinished
	case s.Ended && s.RC != 0 && top.Status != testFail:
		top.Status = testFail
		top.Detail = fmt.Sprintf("exit status %d: %s", s.RC, s.lastLine())
	}
	if top.Status == testFail && top.Detail == "" {
		// The reason is in the first failing subtest that logged one.
		for _, r := range subs {
			if r.Status == testFail && r.Detail != "" {
				top.Detail = r.Name + ": " + r.Detail
				break
			}
		}
	}
	return append([]testResult{top}, subs...)
}

// countCell is green when none of rs failed: "passed/total", with skips.
func countCell(rs []testResult) cell {
	if len(rs) == 0 {
		return cell{State: cellNotRun, Text: "—"}
	}
	passed, skipped := 0, 0
	var firstFail *testResult
	for i, r := range rs {
		switch r.Status {
		case testPass:
			passed++
		case testSkip:
			skipped++
		default:
			if firstFail == nil {
				firstFail = &rs[i]
			}
		}
	}
	text := fmt.Sprintf("%d/%d", passed, len(rs))
	if skipped > 0 {
		text += fmt.Sprintf(" (%d skipped)", skipped)
	}
	if firstFail != nil {
		return cell{State: cellFail, Text: text, Detail: firstFail.Name + ": " + firstNonEmpty(firstFail.Detail, "failed")}
	}
	return cell{State: cellPass, Text: text}
}

func loadsCell(g *guestRun, ended string) cell {
	var fails []string
	ran := 0
	for _, mode := range []string{"light", "exact"} {
		s := g.step("load-" + mode)
		switch {
		case s == nil:
			fails = append(fails, mode+": not run: "+firstNonEmpty(ended, "the guest did not get to it"))
		case !s.Ended:
			fails = append(fails, mode+": unfinished: "+firstNonEmpty(ended, "the guest stopped"))
		case s.RC != 0:
			fails = append(fails, mode+": "+firstNonEmpty(s.lastLine(), fmt.Sprintf("exit status %d", s.RC)))
		default:
			ran++
		}
	}
	if len(fails) > 0 {
		return cell{State: cellFail, Text: fmt.Sprintf("%d/2", ran), Detail: strings.Join(fails, "; ")}
	}
	return cell{State: cellPass, Text: "2/2"}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
