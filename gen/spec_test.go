package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/segen/segen/se"
)

const defaultSpecPath = "../spec/se.yaml"

// TestSpecDefault checks that the committed default spec holds exactly the
// SE shapes of timm's SE-ResNet-18/34/50/101/152 at 224×224, in both layouts,
// the NHWC one the original SENet release adds, and those of
// SE-BN-Inception's SE modules at 224×224 in NHWC.
func TestSpecDefault(t *testing.T) {
	s, err := LoadSpec(defaultSpecPath)
	if err != nil {
		t.Fatal(err)
	}
	if s.File != defaultSpecPath || s.Package != "sekernels" || !slices.Equal(s.Targets, []string{"avx2", "avx512"}) {
		t.Errorf("got File %q, Package %q, Targets %q", s.File, s.Package, s.Targets)
	}
	// timm's hidden sizes, written out rather than computed with
	// se.TimmHidden, so a change there does not silently pass here.
	type want struct{ c, side, hidden int }
	stages := map[string][4]want{
		"basic":      {{64, 56, 8}, {128, 28, 8}, {256, 14, 16}, {512, 7, 32}},
		"bottleneck": {{256, 56, 16}, {512, 28, 32}, {1024, 14, 64}, {2048, 7, 128}},
	}
	wantShapes := make(map[string]se.Shape)
	for kind, ws := range stages {
		for i, w := range ws {
			for _, l := range []se.Layout{se.NCHW, se.NHWC} {
				name := fmt.Sprintf("%s%d_%v", kind, i+1, l)
				wantShapes[name] = se.Shape{Layout: l, C: w.c, H: w.side, W: w.side, Hidden: w.hidden, Squeeze: se.Avg, Bias: true}
				if h := se.TimmHidden(w.c); h != w.hidden {
					t.Errorf("se.TimmHidden(%d) = %d, want %d", w.c, h, w.hidden)
				}
			}
		}
	}
	// The original SENet release's basic blocks add C=64 with C//16 = 4
	// hidden (its other stages' shapes are seresnet18's).
	wantShapes["legacy_basic1_nhwc"] = se.Shape{Layout: se.NHWC, C: 64, H: 56, W: 56, Hidden: 4, Squeeze: se.Avg, Bias: true}
	// SE-BN-Inception: C, side and the prototxt's 1x1_down num_output.
	for name, w := range map[string]want{
		"inception3a": {256, 28, 16}, "inception3b": {320, 28, 20}, "inception3c": {576, 14, 36},
		"inception4c": {608, 14, 38}, "inception4e": {1056, 7, 66}, "inception5a": {1024, 7, 64},
	} {
		wantShapes[name+"_nhwc"] = se.Shape{Layout: se.NHWC, C: w.c, H: w.side, W: w.side, Hidden: w.hidden, Squeeze: se.Avg, Bias: true}
	}
	if len(s.Blocks) != 23 {
		t.Errorf("got %d blocks, want 23", len(s.Blocks))
	}
	prevLine := 0
	for _, b := range s.Blocks {
		want, ok := wantShapes[b.Name]
		switch {
		case !ok:
			t.Errorf("unexpected block %q", b.Name)
		case b.Shape != want:
			t.Errorf("block %s: got %v, want %v", b.Name, b.Shape, want)
		}
		delete(wantShapes, b.Name)
		if b.Line <= prevLine {
			t.Errorf("block %s: line %d not after %d", b.Name, b.Line, prevLine)
		}
		prevLine = b.Line
	}
	for name := range wantShapes {
		t.Errorf("missing block %s", name)
	}
}

// TestSpecDefaults checks the documented defaults and the normal forms of
// optional fields.
func TestSpecDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		targets []string
		blocks  []Block
	}{{
		name: "minimal",
		in: `package: p
blocks:
  - name: a
    channels: 64
    reduction: 16
    height: 7
    width: 9
`,
		targets: []string{"avx2", "avx512"},
		blocks:  []Block{{Name: "a", Line: 3, Shape: se.Shape{Layout: se.NCHW, C: 64, H: 7, W: 9, Hidden: 4, Squeeze: se.Avg, Bias: true}}},
	}, {
		name: "everything given",
		in: `# comment
package: p2
targets: [avx512, avx2, avx512]
blocks:
  - name: stage_1
    channels: 64
    reduction: 8
    hidden: 8
    height: 1
    width: 1
    layout: nhwc
    squeeze: max
    bias: false
  - {name: s2, channels: 3, hidden: 3, height: 4096, width: 256, layout: nchw, squeeze: avg, bias: True}
  - {name: s3, channels: 5, hidden: 1, height: 2, width: 3, squeeze: stochastic}
`,
		targets: []string{"avx2", "avx512"},
		blocks: []Block{
			{Name: "stage_1", Line: 5, Shape: se.Shape{Layout: se.NHWC, C: 64, H: 1, W: 1, Hidden: 8, Squeeze: se.Max, Bias: false}},
			{Name: "s2", Line: 14, Shape: se.Shape{Layout: se.NCHW, C: 3, H: 4096, W: 256, Hidden: 3, Squeeze: se.Avg, Bias: true}},
			{Name: "s3", Line: 15, Shape: se.Shape{Layout: se.NCHW, C: 5, H: 2, W: 3, Hidden: 1, Squeeze: se.Stochastic, Bias: true}},
		},
	}, {
		name: "one target, anchors, same sizes in two layouts",
		in: `package: p
targets: [avx512]
blocks:
  - name: a
    channels: &c 16384
    hidden: 1
    height: &side 1
    width: *side
  - name: b
    channels: *c
    hidden: 1
    height: *side
    width: *side
    layout: nhwc
`,
		targets: []string{"avx512"},
		blocks: []Block{
			{Name: "a", Line: 4, Shape: se.Shape{Layout: se.NCHW, C: 16384, H: 1, W: 1, Hidden: 1, Squeeze: se.Avg, Bias: true}},
			{Name: "b", Line: 9, Shape: se.Shape{Layout: se.NHWC, C: 16384, H: 1, W: 1, Hidden: 1, Squeeze: se.Avg, Bias: true}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec("t.yaml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if s.File != "t.yaml" || !slices.Equal(s.Targets, tt.targets) || !slices.Equal(s.Blocks, tt.blocks) {
				t.Errorf("got %+v\nwant targets %q, blocks %+v", s, tt.targets, tt.blocks)
			}
		})
	}
}

// specBlock returns a spec with one block made of the given lines (indented
// four spaces, starting on line 4 after "  - name: a" on line 3).
func specBlock(lines ...string) string {
	return "package: p\nblocks:\n  - name: a\n    " + strings.Join(lines, "\n    ") + "\n"
}

// specOKBlock are the lines of a valid block for specBlock(); cases replace one.
var specOKBlock = []string{"channels: 64", "hidden: 8", "height: 7", "width: 7"}

// specWith returns a spec whose block is specOKBlock with the line of field
// key replaced by line (appended if specOKBlock has no such field; "" drops it).
func specWith(key, line string) string {
	var out []string
	for _, l := range specOKBlock {
		if strings.HasPrefix(l, key+":") {
			l = line
		}
		if l != "" {
			out = append(out, l)
		}
	}
	if !slices.ContainsFunc(specOKBlock, func(l string) bool { return strings.HasPrefix(l, key+":") }) && line != "" {
		out = append(out, line)
	}
	return specBlock(out...)
}

const knownBlockFields = "known fields: name, channels, reduction, hidden, height, width, layout, squeeze, bias"

// TestSpecErrors checks that each kind of mistake gives exactly the expected
// messages, positions included, and no knock-on errors.
func TestSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // every line of the error, in order
	}{
		// The file as a whole.
		{"empty", "", []string{"t.yaml: spec is empty; it needs at least package and blocks"}},
		{"comments only", "# nothing\n\n", []string{"t.yaml: spec is empty; it needs at least package and blocks"}},
		{"null document", "---\n", []string{"t.yaml:2:1: spec is empty; it needs at least package and blocks"}},
		{"syntax (the parser names the line where the list opened)", "package: p\nblocks: [a, b\n", []string{"t.yaml:1: invalid YAML: did not find expected ',' or ']'"}},
		{"bad indentation", "package: p\n  blocks: []\n", []string{"t.yaml:2: invalid YAML: mapping values are not allowed in this context"}},
		{"unknown anchor", "package: *p\n", []string{"t.yaml: invalid YAML: unknown anchor 'p' referenced"}},
		{"top level list", "- package: p\n", []string{"t.yaml:1:1: the spec must be a mapping with keys package, targets, blocks; got a list"}},
		{"top level scalar", "sekernels\n", []string{`t.yaml:1:1: the spec must be a mapping with keys package, targets, blocks; got string "sekernels"`}},
		{"odd tag (found by fuzzing)", "!%0A", []string{`t.yaml:1:1: the spec must be a mapping with keys package, targets, blocks; got "!\n" ""`}},
		{"two documents", specBlock(specOKBlock...) + "---\npackage: q\n", []string{"t.yaml:8:1: a spec is a single YAML document, but a second one starts here"}},

		// Top-level fields.
		{"unknown top field", "package: p\nblock: []\n", []string{
			"t.yaml:1:1: missing required field \"blocks\" (the list of SE blocks to generate)",
			`t.yaml:2:1: unknown field "block"; known fields: package, targets, blocks`,
		}},
		{"duplicate top field", strings.Replace(specBlock(specOKBlock...), "blocks:", "package: q\nblocks:", 1), []string{
			`t.yaml:2:1: duplicate field "package"; first given at line 1`,
		}},
		{"missing package", "blocks:\n  - {name: a, channels: 64, hidden: 8, height: 7, width: 7}\n", []string{
			`t.yaml:1:1: missing required field "package" (the Go package name of the output)`,
		}},
		{"missing blocks", "package: p\n", []string{`t.yaml:1:1: missing required field "blocks" (the list of SE blocks to generate)`}},
		{"empty blocks", "package: p\nblocks: []\n", []string{"t.yaml:2:9: blocks: must list at least one block"}},
		{"blocks not a list", "package: p\nblocks:\n  name: a\n", []string{
			"t.yaml:3:3: blocks: must be a list of blocks (mappings with name, channels, reduction, hidden, height, width, layout, squeeze, bias), got a mapping",
		}},
		{"blocks null", "package: p\nblocks:\n", []string{
			"t.yaml:2:8: blocks: must be a list of blocks (mappings with name, channels, reduction, hidden, height, width, layout, squeeze, bias), got an empty value",
		}},
		{"package not identifier", strings.Replace(specBlock(specOKBlock...), "package: p", "package: se-kernels", 1), []string{
			`t.yaml:1:10: package: must be a lower-case Go package name such as sekernels, got "se-kernels": not a Go identifier`,
		}},
		{"package keyword", strings.Replace(specBlock(specOKBlock...), "package: p", "package: func", 1), []string{
			`t.yaml:1:10: package: must be a lower-case Go package name such as sekernels, got "func": a Go keyword`,
		}},
		{"package upper case", strings.Replace(specBlock(specOKBlock...), "package: p", "package: SeKernels", 1), []string{
			`t.yaml:1:10: package: must be a lower-case Go package name such as sekernels, got "SeKernels": not lower case`,
		}},
		{"package main", strings.Replace(specBlock(specOKBlock...), "package: p", "package: main", 1), []string{
			`t.yaml:1:10: package: must be a lower-case Go package name such as sekernels, got "main": the generated package must be importable`,
		}},
		{"package integer", strings.Replace(specBlock(specOKBlock...), "package: p", "package: 7", 1), []string{
			`t.yaml:1:10: package: must be a lower-case Go package name such as sekernels, got integer 7`,
		}},
		{"unknown target", strings.Replace(specBlock(specOKBlock...), "blocks:", "targets: [avx2, sse4, avx512]\nblocks:", 1), []string{
			`t.yaml:2:17: targets[1]: unknown target "sse4"; allowed: avx2, avx512`,
		}},
		{"empty targets", strings.Replace(specBlock(specOKBlock...), "blocks:", "targets: []\nblocks:", 1), []string{
			"t.yaml:2:10: targets: must not be empty: list at least one of avx2, avx512 (pure Go is always emitted; leave targets out for both)",
		}},
		{"targets not a list", strings.Replace(specBlock(specOKBlock...), "blocks:", "targets: avx2\nblocks:", 1), []string{
			`t.yaml:2:10: targets: must be a list of SIMD levels (avx2, avx512), got string "avx2"`,
		}},
		{"target not a string", strings.Replace(specBlock(specOKBlock...), "blocks:", "targets:\n  - {avx2: true}\nblocks:", 1), []string{
			"t.yaml:3:5: targets[0]: must be one of avx2, avx512, got a mapping",
		}},

		// Block structure.
		{"block not a mapping", "package: p\nblocks:\n  - stage1\n", []string{
			`t.yaml:3:5: blocks[0]: must be a mapping with fields name, channels, reduction, hidden, height, width, layout, squeeze, bias; got string "stage1"`,
		}},
		{"unknown block field", specWith("channels", "chanels: 64"), []string{
			`t.yaml:3:5: blocks[0]: missing required field "channels"`,
			`t.yaml:4:5: blocks[0]: unknown field "chanels"; ` + knownBlockFields,
		}},
		{"duplicate block field", specBlock(append(specOKBlock, "height: 8")...), []string{
			`t.yaml:8:5: blocks[0]: duplicate field "height"; first given at line 6`,
		}},
		{"missing fields", "package: p\nblocks:\n  - name: a\n    channels: 64\n", []string{
			`t.yaml:3:5: blocks[0]: missing required field "height"`,
			`t.yaml:3:5: blocks[0]: missing required field "width"`,
			`t.yaml:3:5: blocks[0]: missing field "hidden" or "reduction"; give one (hidden = channels / reduction)`,
		}},
		{"missing name", "package: p\nblocks:\n  - channels: 64\n    hidden: 8\n    height: 7\n    width: 7\n", []string{
			`t.yaml:3:5: blocks[0]: missing required field "name"`,
		}},
		{"merge key", "package: p\nblocks:\n  - &a {name: a, channels: 64, hidden: 8, height: 7, width: 7}\n  - {<<: *a, name: b}\n", []string{
			`t.yaml:4:5: blocks[1]: missing required field "channels"`,
			`t.yaml:4:5: blocks[1]: missing required field "height"`,
			`t.yaml:4:5: blocks[1]: missing required field "width"`,
			`t.yaml:4:5: blocks[1]: missing field "hidden" or "reduction"; give one (hidden = channels / reduction)`,
			"t.yaml:4:6: blocks[1]: merge keys (<<) are not supported; write the fields out",
		}},

		// Names.
		{"name not snake case", strings.Replace(specBlock(specOKBlock...), "name: a", "name: Stage-1", 1), []string{
			`t.yaml:3:11: name: must be lower_snake_case (a-z first, then a-z, 0-9, _), got "Stage-1"`,
		}},
		{"name starts with digit", strings.Replace(specBlock(specOKBlock...), "name: a", "name: 1st", 1), []string{
			`t.yaml:3:11: name: must be lower_snake_case (a-z first, then a-z, 0-9, _), got "1st"`,
		}},
		{"name not a string", strings.Replace(specBlock(specOKBlock...), "name: a", "name: [a]", 1), []string{
			`t.yaml:3:11: name: must be a lower_snake_case name, got a list`,
		}},
		{"duplicate name", specBlock(specOKBlock...) + "  - {name: a, channels: 64, hidden: 8, height: 7, width: 7, layout: nhwc}\n", []string{
			`t.yaml:8:12: name: duplicate name "a"; first used at line 3`,
		}},

		// Sizes.
		{"channels zero", specWith("channels", "channels: 0"), []string{
			"t.yaml:4:15: channels: must be between 1 and 16384, got 0",
		}},
		{"channels too large", specWith("channels", "channels: 16385"), []string{
			"t.yaml:4:15: channels: must be between 1 and 16384, got 16385",
		}},
		{"channels negative", specWith("channels", "channels: -64"), []string{
			"t.yaml:4:15: channels: must be between 1 and 16384, got -64",
		}},
		{"channels string", specWith("channels", `channels: "64"`), []string{
			`t.yaml:4:15: channels: must be an integer between 1 and 16384, got string "64"`,
		}},
		{"channels float", specWith("channels", "channels: 1.5"), []string{
			"t.yaml:4:15: channels: must be an integer between 1 and 16384, got number 1.5",
		}},
		{"channels list", specWith("channels", "channels: [64]"), []string{
			"t.yaml:4:15: channels: must be an integer between 1 and 16384, got a list",
		}},
		{"channels empty", specWith("channels", "channels:"), []string{
			"t.yaml:4:14: channels: must be an integer between 1 and 16384, got an empty value",
		}},
		{"channels hex", specWith("channels", "channels: 0x40"), []string{
			`t.yaml:4:15: channels: must be an integer between 1 and 16384 written in decimal without leading zeros, got "0x40"`,
		}},
		{"channels old octal", specWith("channels", "channels: 064"), []string{
			`t.yaml:4:15: channels: must be an integer between 1 and 16384 written in decimal without leading zeros, got "064"`,
		}},
		{"channels huge", specWith("channels", "channels: 99999999999999999999"), []string{
			"t.yaml:4:15: channels: must be an integer between 1 and 16384, got number 99999999999999999999",
		}},
		{"channels beyond int64", specWith("channels", "channels: 18446744073709551615"), []string{
			"t.yaml:4:15: channels: must be an integer between 1 and 16384, got 18446744073709551615 (too large)",
		}},
		{"height zero", specWith("height", "height: 0"), []string{
			"t.yaml:6:13: height: must be between 1 and 4096, got 0",
		}},
		{"width too large", specWith("width", "width: 4097"), []string{
			"t.yaml:7:12: width: must be between 1 and 4096, got 4097",
		}},
		{"plane too large", specBlock("channels: 64", "hidden: 8", "height: 2048", "width: 1024"), []string{
			"t.yaml:7:12: height×width: must be at most 1048576, got 2048×1024 = 2097152",
		}},
		{"hidden zero", specWith("hidden", "hidden: 0"), []string{
			"t.yaml:5:13: hidden: must be between 1 and channels (64), got 0",
		}},
		{"hidden above channels", specWith("hidden", "hidden: 65"), []string{
			"t.yaml:5:13: hidden: must be between 1 and channels (64), got 65",
		}},
		{"hidden with bad channels", specBlock("channels: 0", "hidden: 0", "height: 7", "width: 7"), []string{
			"t.yaml:4:15: channels: must be between 1 and 16384, got 0",
			"t.yaml:5:13: hidden: must be between 1 and channels, got 0",
		}},
		{"reduction zero", specWith("hidden", "reduction: 0"), []string{
			"t.yaml:5:16: reduction: must be at least 1, got 0",
		}},
		{"reduction does not divide", specWith("hidden", "reduction: 7"), []string{
			"t.yaml:5:16: reduction: must divide channels (64), got 7; give hidden instead for a rounded size",
		}},
		{"hidden and reduction disagree", specBlock(append(specOKBlock, "reduction: 16")...), []string{
			"t.yaml:5:13: hidden: 8 disagrees with reduction 16: channels / reduction = 64 / 16 = 4; give one of them, or make them agree",
		}},

		// Enumerations and booleans.
		{"bad layout", specWith("layout", "layout: NHWC"), []string{
			`t.yaml:8:13: layout: must be one of nchw, nhwc, got "NHWC"`,
		}},
		{"layout not a string", specWith("layout", "layout: 1"), []string{
			`t.yaml:8:13: layout: must be one of nchw, nhwc, got integer 1`,
		}},
		{"bad squeeze", specWith("squeeze", "squeeze: mean"), []string{
			`t.yaml:8:14: squeeze: must be one of avg, max, stochastic, got "mean"`,
		}},
		{"bias yes", specWith("bias", "bias: yes"), []string{
			`t.yaml:8:11: bias: must be true or false, got string "yes"`,
		}},
		{"bias number", specWith("bias", "bias: 1"), []string{
			`t.yaml:8:11: bias: must be true or false, got integer 1`,
		}},

		// Across blocks.
		{"duplicate shape", specBlock(specOKBlock...) + "  - {name: b, channels: 64, height: 7, width: 7, reduction: 8, layout: nchw, bias: true}\n", []string{
			`t.yaml:8:5: blocks[1]: block "b" has the same shape (nchw 64×7×7 hidden 8 avg bias) as block "a" at line 3; each shape may appear once, since each registers one kernel`,
		}},
		{"errors in several blocks", "package: p\nblocks:\n" +
			"  - {name: a, channels: 0, hidden: 8, height: 7, width: 7}\n" +
			"  - {name: b, channels: 64, hidden: 8, height: 7, width: 7, squeeze: min}\n", []string{
			"t.yaml:3:25: channels: must be between 1 and 16384, got 0",
			`t.yaml:4:70: squeeze: must be one of avg, max, stochastic, got "min"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec("t.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; got %+v", s)
			}
			if s != nil {
				t.Errorf("got a spec with the error: %+v", s)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not ErrorList", err)
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("input:\n%s\ngot:\n\t%s\nwant:\n\t%s", tt.in, strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

// TestSpecErrorFields checks that callers can inspect the errors.
func TestSpecErrorFields(t *testing.T) {
	_, err := ParseSpec("spec/se.yaml", []byte(specWith("channels", "channels: 0")))
	var e *SpecError
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v, *SpecError) failed", err)
	}
	want := SpecError{File: "spec/se.yaml", Line: 4, Col: 15, Field: "channels", Msg: "must be between 1 and 16384, got 0"}
	if *e != want {
		t.Errorf("got %+v, want %+v", *e, want)
	}
	if got := e.Error(); got != "spec/se.yaml:4:15: channels: must be between 1 and 16384, got 0" {
		t.Errorf("Error() = %q", got)
	}
}

// TestSpecLoad checks LoadSpec's handling of files.
func TestSpecLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	_, err := LoadSpec(missing)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), missing+": cannot read spec: ") {
		t.Errorf("LoadSpec(missing) = %v; want a not-exist error naming the path", err)
	}
	if _, err := LoadSpec(dir); err == nil || !strings.HasPrefix(err.Error(), dir+": cannot read spec: ") {
		t.Errorf("LoadSpec(directory) = %v; want an error naming the path", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(specWith("width", "width: 0")), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSpec(bad); err == nil || err.Error() != bad+":7:12: width: must be between 1 and 4096, got 0" {
		t.Errorf("LoadSpec(bad) = %v", err)
	}
}

// TestSpecTooManyErrors checks the cap on the number of reported errors.
func TestSpecTooManyErrors(t *testing.T) {
	in := "package: p\nblocks:\n"
	for i := range 30 {
		in += fmt.Sprintf("  - {name: b%d, channels: 0, hidden: 8, height: 7, width: 7}\n", i)
	}
	_, err := ParseSpec("t.yaml", []byte(in))
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != maxSpecErrors+1 || lines[maxSpecErrors] != "t.yaml: too many errors (10 more not shown)" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

// FuzzParseSpec checks that no input makes ParseSpec panic, that errors are
// well-formed lines, and that a nil error always comes with a valid spec.
func FuzzParseSpec(f *testing.F) {
	// Only a prefix of the default spec (its first blocks, without the
	// header comment): the fuzzer minimises each new interesting input,
	// which takes long on big ones and leaves little time to explore.
	if data, err := os.ReadFile(defaultSpecPath); err == nil {
		if i := bytes.Index(data, []byte("package:")); i >= 0 {
			data = data[i:]
		}
		f.Add(data[:min(len(data), 400)])
	}
	for _, s := range []string{
		"", "---\n", "!%0A", "&a [*a]", "&a {package: *a, blocks: [*a]}", "{[a]: 1}",
		specBlock(specOKBlock...), specWith("layout", "layout: nhwc"), specWith("hidden", "reduction: 16"),
		specBlock(specOKBlock...) + "  - {name: b, channels: 64, reduction: 8, height: 7, width: 7}\n",
		"package: p\ntargets: [avx512, avx2]\nblocks:\n  - {name: a, channels: 1, hidden: 1, height: 1, width: 1, squeeze: max, bias: false}\n",
	} {
		f.Add([]byte(s))
	}
	lineRE := regexp.MustCompile(`^f\.yaml(:\d+(:\d+)?)?: \S`)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec("f.yaml", data)
		if err != nil {
			var list ErrorList
			if s != nil || !errors.As(err, &list) || len(list) == 0 || len(list) > maxSpecErrors+1 {
				t.Fatalf("bad error result: spec %v, error %T %v", s, err, err)
			}
			for _, e := range list {
				if line := e.Error(); strings.ContainsFunc(line, unicode.IsControl) || !lineRE.MatchString(line) {
					t.Fatalf("malformed error line %q", line)
				}
			}
			return
		}
		checkValidSpec(t, s)
	})
}

// checkValidSpec fails t unless s satisfies everything ParseSpec promises.
func checkValidSpec(t *testing.T, s *Spec) {
	t.Helper()
	if s == nil {
		t.Fatal("nil spec without error")
	}
	if s.Package == "" || s.Package == "main" || s.Package == "_" || strings.ToLower(s.Package) != s.Package {
		t.Fatalf("bad package %q", s.Package)
	}
	if len(s.Targets) == 0 || (!slices.Equal(s.Targets, []string{"avx2", "avx512"}) && !slices.Equal(s.Targets, []string{"avx2"}) && !slices.Equal(s.Targets, []string{"avx512"})) {
		t.Fatalf("bad targets %q", s.Targets)
	}
	if len(s.Blocks) == 0 {
		t.Fatal("no blocks")
	}
	names := make(map[string]bool)
	shapes := make(map[se.Shape]bool)
	for _, b := range s.Blocks {
		if err := b.Shape.Validate(); err != nil {
			t.Fatalf("block %q: %v", b.Name, err)
		}
		if !specBlockName.MatchString(b.Name) || names[b.Name] || shapes[b.Shape] || b.Line < 1 {
			t.Fatalf("bad or repeated block %+v", b)
		}
		names[b.Name], shapes[b.Shape] = true, true
	}
}
