package resnet

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/segen/segen/runtime/safetensors"
)

// Inferring the architecture from the weights. A timm state dict names and
// shapes every parameter of its network, and Params says which names and
// shapes each architecture has, so the architecture of a file is the one
// whose expected set equals the file's: nothing is special-cased per
// network, and an architecture added to the package is inferred with no
// change here. Stem, blocks per stage, groups (in conv2's shape), SE and
// its hidden sizes and the legacy names all show up as names or shapes.
// What leaves no parameter behind cannot be told apart: architectures that
// differ only in parameter-free layers (an anti-aliasing average pool, say)
// have identical state dicts, and Infer reports them all.

// AmbiguousError reports weights that fit several architectures exactly:
// they differ only in layers without parameters, so the file cannot say
// which it was trained as.
type AmbiguousError struct {
	Archs []string // every architecture that fits, in the package's order
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("resnet: the weights fit %d architectures, %s, which differ only in layers without parameters",
		len(e.Archs), strings.Join(e.Archs, " and "))
}

// Candidate is an architecture the weights come close to.
type Candidate struct {
	Arch        string
	Distance    int      // tensors missing, unexpected or of another shape
	Differences []string // a summary, most telling first, e.g. "layer3 has 23 blocks, resnet50 has 6"
}

// NoMatchError reports weights that fit no architecture, with the nearest.
type NoMatchError struct {
	Tensors int         // parameters in the file (num_batches_tracked aside)
	Nearest []Candidate // nearest first, at most three; none when Foreign is set
	Foreign string      // why no architecture is near, when none has a name of the file
	// Headless is set when the file has no classifier any architecture
	// names: a features-only network (timm's num_classes=0).
	Headless bool
}

func (e *NoMatchError) Error() string {
	if e.Foreign != "" {
		return "resnet: no architecture matches the weights: " + e.Foreign
	}
	var b strings.Builder
	b.WriteString("resnet: no architecture matches the weights: nearest ")
	for i, c := range e.Nearest {
		if i > 0 {
			b.WriteString(", then ")
		}
		verb := "tensors differ"
		if c.Distance == 1 {
			verb = "tensor differs"
		}
		fmt.Fprintf(&b, "%s (%d %s: %s)", c.Arch, c.Distance, verb, strings.Join(c.Differences, "; "))
	}
	if e.Headless {
		b.WriteString("; " + headless)
	}
	return b.String()
}

// Infer returns the architecture whose timm state dict f is: the one
// whose parameter names and shapes are exactly the file's, with the class
// count taken from the file's classifier. num_batches_tracked entries and
// dtypes are not looked at (New checks dtypes). It returns an
// *AmbiguousError when several architectures fit and a *NoMatchError,
// naming the nearest, when none does.
func Infer(f *safetensors.File) (Arch, error) {
	var known []Arch
	for _, name := range Archs() {
		a, _ := LookupArch(name)
		known = append(known, a)
	}
	return inferAmong(f, known)
}

// inferAmong is Infer choosing among the given architectures.
func inferAmong(f *safetensors.File, known []Arch) (Arch, error) {
	file := make(map[string][]int, len(f.Tensors))
	for _, t := range f.Tensors {
		if !safetensors.Ignored(t.Name) {
			file[t.Name] = t.Shape
		}
	}
	type miss struct {
		arch     Arch
		distance int
	}
	var fits []Arch
	var near []miss
	shared := false // whether any architecture has a name of the file
	n := classes(file, known)
	for _, a := range known {
		d, found := templateOf(a).distance(file, n)
		shared = shared || found > 0
		if d == 0 {
			fits = append(fits, a)
		} else {
			near = append(near, miss{a, d})
		}
	}
	switch {
	case len(fits) == 1:
		return fits[0], nil
	case len(fits) > 1:
		e := &AmbiguousError{}
		for _, a := range fits {
			e.Archs = append(e.Archs, a.Name)
		}
		return Arch{}, e
	case !shared:
		return Arch{}, &NoMatchError{Tensors: len(file), Foreign: foreign(file, known)}
	}
	e := &NoMatchError{Tensors: len(file), Headless: !hasClassifier(file, known)}
	slices.SortStableFunc(near, func(x, y miss) int { return cmp.Compare(x.distance, y.distance) })
	for _, m := range near[:min(3, len(near))] {
		want := templateOf(m.arch).with(n)
		d := differ(file, want)
		e.Nearest = append(e.Nearest, Candidate{m.arch.Name, d.distance(), d.summary(m.arch.Name, file, want)})
	}
	return Arch{}, e
}

// foreign describes a file that has no name of any architecture: names
// under a prefix (a state dict saved from a wrapper, "module.conv1.weight"),
// or something else altogether.
func foreign(file map[string][]int, known []Arch) string {
	names := slices.Sorted(maps.Keys(file))
	if len(names) == 0 {
		return "the file holds no tensors"
	}
	var stems []string
	for _, a := range known {
		stems = append(stems, templateOf(a).params[0].Name)
	}
	if prefix, n := wrapperPrefix(names, stems); prefix != "" {
		return fmt.Sprintf("the names carry the prefix %q (%s); save the state dict without it", prefix, n)
	}
	what := fmt.Sprintf("its %d tensors: %s", len(names), strings.Join(names[:min(3, len(names))], ", "))
	switch {
	case len(names) == 1:
		what = "its only tensor: " + names[0]
	case len(names) > 3:
		what += ", …"
	}
	return "the file holds no parameter of any known architecture (" + what + ")"
}

// wrapperPrefix returns the prefix under which names hold a stem's weight
// (one of stems, e.g. "module." for "module.conv1.0.weight") and that name:
// the shortest such prefix, since a block's weights end like a stem's too
// ("module.layer1.0.conv1.weight"). It returns "", "" when there is none.
func wrapperPrefix(names, stems []string) (prefix, name string) {
	for _, n := range names {
		for _, s := range stems {
			if p, ok := strings.CutSuffix(n, "."+s); ok && (prefix == "" || len(p)+1 < len(prefix)) {
				prefix, name = p+".", n
			}
		}
	}
	return prefix, name
}

// template is an architecture's parameters with the class count left
// open: Params(1), and where in it the class count goes.
type template struct {
	params []Param
	class  [][2]int // {index in params, dimension} of each class-count dimension
}

// templates caches each architecture's template by name: Params of the
// deepest networks takes milliseconds, and Infer needs every architecture's.
var templates sync.Map // string → *template

func templateOf(a Arch) *template {
	if t, ok := templates.Load(a.Name); ok {
		return t.(*template)
	}
	one, two := a.Params(1), a.Params(2)
	t := &template{params: one}
	for i, p := range one {
		for d := range p.Shape {
			if p.Shape[d] != two[i].Shape[d] {
				t.class = append(t.class, [2]int{i, d})
			}
		}
	}
	templates.Store(a.Name, t)
	return t
}

// with returns the parameters for the given number of classes.
func (t *template) with(classes int) []Param {
	ps := slices.Clone(t.params)
	for _, c := range t.class {
		p := &ps[c[0]]
		p.Shape = slices.Clone(p.Shape)
		p.Shape[c[1]] = classes
	}
	return ps
}

// distance returns how many tensors differ between the file and the
// parameters for the given number of classes (missing, unexpected or of
// another shape: the size of differ's answer, without building it), and
// how many of the file's names the architecture has.
func (t *template) distance(file map[string][]int, classes int) (d, found int) {
	class := 0
	for i, p := range t.params {
		s, ok := file[p.Name]
		if !ok {
			d++
			continue
		}
		found++
		same := len(s) == len(p.Shape)
		for j := 0; same && j < len(s); j++ {
			want := p.Shape[j]
			if class < len(t.class) && t.class[class] == [2]int{i, j} {
				want = classes
				class++
			}
			same = s[j] == want
		}
		for class < len(t.class) && t.class[class][0] == i { // dimensions skipped above
			class++
		}
		if !same {
			d++
		}
	}
	return d + len(file) - found, found
}

// classes returns the number of classes of the file's classifier: the
// class-count dimension, in the first of the known architectures whose
// classifier the file holds (fc.weight's first; last_linear.weight's in the
// legacy layout). 1 when the file holds no classifier any architecture knows.
func classes(file map[string][]int, known []Arch) int {
	for _, a := range known {
		t := templateOf(a)
		for _, c := range t.class {
			p := t.params[c[0]]
			if s, ok := file[p.Name]; ok && len(s) == len(p.Shape) && s[c[1]] > 0 {
				return s[c[1]]
			}
		}
	}
	return 1
}

// headless explains a file without a classifier.
const headless = "the file has no classifier (fc.weight, or last_linear.weight in the legacy layout): " +
	"a features-only network, as timm saves it with num_classes=0; segen runs classifiers"

// hasClassifier reports whether the file holds the classifier weight of
// any of the known architectures.
func hasClassifier(file map[string][]int, known []Arch) bool {
	for _, a := range known {
		if _, ok := file[a.classifier()+".weight"]; ok {
			return true
		}
	}
	return false
}

// reshaped is a tensor present in the file and in the architecture with
// different shapes.
type reshaped struct {
	name       string
	file, want []int
}

// difference is how a file differs from an architecture's parameters.
type difference struct {
	missing    []Param // the architecture's, absent from the file, in its order
	unexpected []Param // the file's, absent from the architecture, sorted by name
	reshaped   []reshaped
}

// differ returns how the file's tensors differ from want.
func differ(file map[string][]int, want []Param) difference {
	var d difference
	expected := make(map[string]bool, len(want))
	for _, p := range want {
		expected[p.Name] = true
		switch s, ok := file[p.Name]; {
		case !ok:
			d.missing = append(d.missing, p)
		case !slices.Equal(s, p.Shape):
			d.reshaped = append(d.reshaped, reshaped{p.Name, s, p.Shape})
		}
	}
	for name, s := range file {
		if !expected[name] {
			d.unexpected = append(d.unexpected, Param{Name: name, Shape: s})
		}
	}
	slices.SortFunc(d.unexpected, func(x, y Param) int { return strings.Compare(x.Name, y.Name) })
	return d
}

func (d difference) distance() int { return len(d.missing) + len(d.unexpected) + len(d.reshaped) }

// blockKey matches a residual block's prefix: "layer3.17." → "layer3".
var blockKey = regexp.MustCompile(`^(layer\d+)\.\d+\.`)

// blocks returns the residual blocks (their prefixes, "layer3.17.") that
// names belong to.
func blocks(names iter.Seq[string]) map[string]bool {
	set := map[string]bool{}
	for name := range names {
		if m := blockKey.FindString(name); m != "" {
			set[m] = true
		}
	}
	return set
}

// perStage counts the blocks of each stage.
func perStage(blocks map[string]bool) map[string]int {
	n := map[string]int{}
	for b := range blocks {
		n[blockKey.FindStringSubmatch(b)[1]]++
	}
	return n
}

// summary describes for a person how the file differs from arch, whose
// parameters are want, in at most five lines: first the stages whose block
// counts differ ("layer3 has 23 blocks, resnet50 has 6"), then the other
// differences grouped by the module they belong to with the block index
// left out ("16 SE tensors missing (layer1.0.se.fc1.weight [16 256 1 1], …)").
// The tensors of a block only one side has are told by the first kind of
// line and left out of the second.
func (d difference) summary(arch string, file map[string][]int, want []Param) []string {
	have := blocks(maps.Keys(file))
	need := blocks(func(yield func(string) bool) {
		for _, p := range want {
			if !yield(p.Name) {
				return
			}
		}
	})
	var lines []string
	haveN, needN := perStage(have), perStage(need)
	stageNames := slices.Collect(maps.Keys(haveN))
	for s := range needN {
		if _, ok := haveN[s]; !ok {
			stageNames = append(stageNames, s)
		}
	}
	slices.Sort(stageNames)
	for _, s := range stageNames {
		if haveN[s] != needN[s] {
			noun := "blocks"
			if haveN[s] == 1 {
				noun = "block"
			}
			lines = append(lines, fmt.Sprintf("%s has %d %s, %s has %d", s, haveN[s], noun, arch, needN[s]))
		}
	}
	oneSided := func(name string) bool {
		b := blockKey.FindString(name)
		return b != "" && have[b] != need[b]
	}

	type group struct {
		module, what string // "SE", "missing"
		count        int
		example      string
	}
	var groups []*group
	add := func(name, what, example string) {
		if oneSided(name) {
			return
		}
		module := moduleOf(name)
		for _, g := range groups {
			if g.module == module && g.what == what {
				g.count++
				return
			}
		}
		groups = append(groups, &group{module, what, 1, example})
	}
	for _, p := range d.missing {
		add(p.Name, "missing", fmt.Sprintf("%s %v", p.Name, p.Shape))
	}
	for _, p := range d.unexpected {
		add(p.Name, "unexpected", fmt.Sprintf("%s %v", p.Name, p.Shape))
	}
	for _, r := range d.reshaped {
		add(r.name, "of another shape", fmt.Sprintf("%s is %v, %s has %v", r.name, r.file, arch, r.want))
	}
	for _, g := range groups {
		noun, more := "tensors", ", …"
		if g.count == 1 {
			noun, more = "tensor", ""
		}
		lines = append(lines, fmt.Sprintf("%d %s %s %s (%s%s)", g.count, g.module, noun, g.what, g.example, more))
	}
	if len(lines) > 5 {
		lines = append(lines[:4], fmt.Sprintf("%d more kinds of difference", len(lines)-4))
	}
	return lines
}

// moduleOf names the part of a network a tensor belongs to, for grouping:
// its first module after the block prefix ("layer1.0.se.fc1.weight" → SE,
// "layer2.0.downsample.0.weight" → downsample, "conv1.weight" → conv1).
func moduleOf(name string) string {
	name = strings.TrimPrefix(name, blockKey.FindString(name))
	module, _, _ := strings.Cut(name, ".")
	if module == "se" || module == "se_module" {
		return "SE"
	}
	return module
}
