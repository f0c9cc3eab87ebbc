package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/segen/segen/se"
	"go.yaml.in/yaml/v3"
)

// Spec is a validated spec file.
type Spec struct {
	File    string   // path as given to LoadSpec (or the name given to ParseSpec), for messages
	Package string   // Go package name
	Targets []string // subset of "avx2", "avx512", deduplicated, in the order avx2, avx512
	Blocks  []Block
}

// Block is one SE block of the spec.
type Block struct {
	Name  string   // lower_snake_case, unique
	Shape se.Shape // Layout, C, H, W, Hidden, Squeeze, Bias filled in, defaults applied
	Line  int      // line of the block's mapping in the file
}

// SpecError is one problem found in a spec. Line and Col are 1-based; they
// are 0 when the problem concerns the whole file (unreadable, empty) or when
// the YAML parser did not say (Col of syntax errors).
type SpecError struct {
	File      string
	Line, Col int
	Field     string // the key (or blocks[i] for a whole block) the problem is about; may be empty
	Msg       string // what was wrong and what is allowed
	Err       error  // underlying error, if any (reading the file)
}

// Error formats e as file:line:col: field: msg, leaving out what is unknown,
// so that editors and terminals can jump to the position.
func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.File == "" {
		b.WriteString("<spec>")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, so errors.Is(err, fs.ErrNotExist)
// works on the result of LoadSpec.
func (e *SpecError) Unwrap() error { return e.Err }

// ErrorList is every problem found in a spec, ordered by position. LoadSpec
// and ParseSpec return a non-empty ErrorList as their error.
type ErrorList []*SpecError

// Error returns one line per problem.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// maxSpecErrors caps the report: past that, later errors are mostly
// consequences of earlier ones (or the file is not a spec at all).
const maxSpecErrors = 20

// Allowed values, in the order messages list them.
var (
	specTopFields   = []string{"package", "targets", "blocks"}
	specBlockFields = []string{"name", "channels", "reduction", "hidden", "height", "width", "layout", "squeeze", "bias"}
	specTargets     = []string{"avx2", "avx512"}
	specLayouts     = map[string]se.Layout{"nchw": se.NCHW, "nhwc": se.NHWC}
	specPools       = map[string]se.Pool{"avg": se.Avg, "max": se.Max, "stochastic": se.Stochastic}
)

// specBlockName is the form of block names: they become parts of Go
// identifiers and file names, so keep them to one predictable spelling.
var specBlockName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// LoadSpec reads and validates the spec file at path.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Err.Error() // the path is already at the start of the line
		}
		return nil, ErrorList{{File: path, Msg: "cannot read spec: " + msg, Err: err}}
	}
	return ParseSpec(path, data)
}

// ParseSpec validates spec text; name is used in error messages.
//
// It walks yaml.Node trees instead of decoding into structs so that every
// error carries a line and column, unknown and duplicate keys are caught, and
// types are checked strictly (no silent "1.5" → 1 or "0256" → octal).
func ParseSpec(name string, data []byte) (*Spec, error) {
	p := &specParser{file: name}
	root := p.document(data)
	var spec *Spec
	if root != nil {
		spec = p.spec(root)
	}
	if len(p.errs) > 0 {
		return nil, p.errorList()
	}
	return spec, nil
}

// specParser walks one spec and collects its errors.
type specParser struct {
	file string
	errs ErrorList
}

// errorf records a problem at node n (n may be nil for file-level problems).
// Callers pass the node as written, not its alias target, so the position is
// where the value is used.
func (p *specParser) errorf(n *yaml.Node, field, format string, args ...any) {
	e := &SpecError{File: p.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// errorList sorts the errors by position and caps their number.
func (p *specParser) errorList() ErrorList {
	errs := slices.Clone(p.errs)
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Col < errs[j].Col
	})
	if len(errs) > maxSpecErrors {
		more := len(errs) - maxSpecErrors
		errs = append(errs[:maxSpecErrors:maxSpecErrors], &SpecError{File: p.file,
			Msg: fmt.Sprintf("too many errors (%d more not shown)", more)})
	}
	return errs
}

// yamlSyntaxLine picks the line number out of the YAML parser's messages,
// which look like "yaml: line 3: did not find expected key".
var yamlSyntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data as exactly one YAML document and returns its root
// node, or nil after recording why there is none.
func (p *specParser) document(data []byte) (root *yaml.Node) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := p.decode(dec, &doc); {
	case err == io.EOF:
		p.errorf(nil, "", "spec is empty; it needs at least package and blocks")
		return nil
	case err != nil:
		p.syntaxError(err)
		return nil
	}
	root = &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.errorf(nil, "", "spec is empty; it needs at least package and blocks")
			return nil
		}
		root = root.Content[0]
	}
	var next yaml.Node
	switch err := p.decode(dec, &next); {
	case err == io.EOF:
	case err != nil:
		p.syntaxError(err)
		return nil
	default:
		p.errorf(&next, "", "a spec is a single YAML document, but a second one starts here")
	}
	return root
}

// decode runs the YAML decoder, turning any panic in it into an error: a
// spec loader must not crash on odd bytes, whatever the parser's state.
func (p *specParser) decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	return dec.Decode(n)
}

func (p *specParser) syntaxError(err error) {
	// Keep the report one line per error even if the parser quotes input.
	msg := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, err.Error())
	line := 0
	if m := yamlSyntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	p.errs = append(p.errs, &SpecError{File: p.file, Line: line, Msg: "invalid YAML: " + msg, Err: err})
}

// spec validates the top-level mapping.
func (p *specParser) spec(root *yaml.Node) *Spec {
	root = resolveAlias(root)
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		p.errorf(root, "", "spec is empty; it needs at least package and blocks")
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "the spec must be a mapping with keys %s; got %s", strings.Join(specTopFields, ", "), describeNode(root))
		return nil
	}
	s := &Spec{File: p.file}
	fields := p.fields(root, "", specTopFields)

	if f, ok := fields["package"]; !ok {
		p.errorf(root, "", `missing required field "package" (the Go package name of the output)`)
	} else {
		s.Package = p.packageName(f.val)
	}

	s.Targets = slices.Clone(specTargets) // callers may modify their Spec
	if f, ok := fields["targets"]; ok {
		s.Targets = p.targets(f.val)
	}

	if f, ok := fields["blocks"]; !ok {
		p.errorf(root, "", `missing required field "blocks" (the list of SE blocks to generate)`)
	} else {
		s.Blocks = p.blocks(f.val)
	}
	return s
}

// specField is one key of a mapping and its value, as written (aliases not
// resolved, so that messages point where the alias is used).
type specField struct{ key, val *yaml.Node }

// fields checks mapping m's keys (strings, known, each at most once) and
// returns the known ones. where names the mapping in messages.
func (p *specParser) fields(m *yaml.Node, where string, known []string) map[string]specField {
	out := make(map[string]specField)
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, v := m.Content[i], m.Content[i+1]
		k := resolveAlias(kn)
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(kn, where, "keys must be plain names; got %s", describeNode(k))
		case k.ShortTag() == "!!merge":
			p.errorf(kn, where, "merge keys (<<) are not supported; write the fields out")
		case !slices.Contains(known, k.Value):
			p.errorf(kn, where, "unknown field %s; known fields: %s", quoteValue(k.Value), strings.Join(known, ", "))
		default:
			if first, dup := out[k.Value]; dup {
				p.errorf(kn, where, "duplicate field %s; first given at line %d", quoteValue(k.Value), first.key.Line)
				continue
			}
			out[k.Value] = specField{key: kn, val: v}
		}
	}
	return out
}

// packageName checks the output package name.
func (p *specParser) packageName(n *yaml.Node) string {
	name, ok := p.str(n, "package", packageNameRule)
	if !ok {
		return ""
	}
	if problem := packageNameProblem(name); problem != "" {
		p.errorf(n, "package", "must be %s, got %s: %s", packageNameRule, quoteValue(name), problem)
		return ""
	}
	return name
}

// packageNameRule says what a generated package may be called.
const packageNameRule = "a lower-case Go package name such as sekernels"

// packageNameProblem returns what is wrong with name as the name of a
// generated package, or "" if nothing is. It must be a Go identifier, not
// a keyword, lower case by Go convention, and importable (so neither "_"
// nor "main"). The spec's package field and segen generate -pkg both use it.
func packageNameProblem(name string) string {
	switch {
	case token.IsKeyword(name): // before IsIdentifier, which is false for keywords
		return "a Go keyword"
	case !token.IsIdentifier(name):
		return "not a Go identifier"
	case strings.ToLower(name) != name:
		return "not lower case"
	case name == "_" || name == "main":
		return "the generated package must be importable"
	}
	return ""
}

// targets checks the SIMD levels and returns them deduplicated in canonical
// order.
func (p *specParser) targets(n *yaml.Node) []string {
	allowed := strings.Join(specTargets, ", ")
	v := resolveAlias(n)
	if v.Kind != yaml.SequenceNode {
		p.errorf(n, "targets", "must be a list of SIMD levels (%s), got %s", allowed, describeNode(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(n, "targets", "must not be empty: list at least one of %s (pure Go is always emitted; leave targets out for both)", allowed)
		return nil
	}
	seen := make(map[string]bool)
	for i, item := range v.Content {
		field := fmt.Sprintf("targets[%d]", i)
		t, ok := p.str(item, field, "one of "+allowed)
		if !ok {
			continue
		}
		if !slices.Contains(specTargets, t) {
			p.errorf(item, field, "unknown target %s; allowed: %s", quoteValue(t), allowed)
			continue
		}
		seen[t] = true
	}
	var out []string
	for _, t := range specTargets {
		if seen[t] {
			out = append(out, t)
		}
	}
	return out
}

// blocks checks the list of blocks, then the names and shapes across blocks.
func (p *specParser) blocks(n *yaml.Node) []Block {
	v := resolveAlias(n)
	if v.Kind != yaml.SequenceNode {
		p.errorf(n, "blocks", "must be a list of blocks (mappings with %s), got %s", strings.Join(specBlockFields, ", "), describeNode(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(n, "blocks", "must list at least one block")
		return nil
	}
	var out []Block
	names := make(map[string]int)      // name → line of first use
	shapes := make(map[se.Shape]Block) // shape → first block with it
	for i, item := range v.Content {
		b, ok := p.block(item, fmt.Sprintf("blocks[%d]", i), names)
		if !ok {
			continue
		}
		if first, dup := shapes[b.Shape]; dup {
			p.errorf(item, fmt.Sprintf("blocks[%d]", i),
				"block %s has the same shape (%v) as block %s at line %d; each shape may appear once, since each registers one kernel",
				quoteValue(b.Name), b.Shape, quoteValue(first.Name), first.Line)
			continue
		}
		out = append(out, b)
		shapes[b.Shape] = b
	}
	return out
}

// block checks one block and builds its shape. names records the line where
// each name was first used, to report duplicates. ok is false if anything
// was wrong (and reported).
func (p *specParser) block(n *yaml.Node, where string, names map[string]int) (b Block, ok bool) {
	m := resolveAlias(n)
	if m.Kind != yaml.MappingNode {
		p.errorf(n, where, "must be a mapping with fields %s; got %s", strings.Join(specBlockFields, ", "), describeNode(m))
		return b, false
	}
	b.Line = n.Line
	before := len(p.errs)
	fields := p.fields(m, where, specBlockFields)
	required := func(key string) (*yaml.Node, bool) {
		f, ok := fields[key]
		if !ok {
			p.errorf(n, where, "missing required field %s", quoteValue(key))
		}
		return f.val, ok
	}

	// name
	if v, ok := required("name"); ok {
		if name, ok := p.str(v, "name", "a lower_snake_case name"); ok {
			switch line, dup := names[name]; {
			case !specBlockName.MatchString(name):
				p.errorf(v, "name", "must be lower_snake_case (a-z first, then a-z, 0-9, _), got %s", quoteValue(name))
			case dup:
				p.errorf(v, "name", "duplicate name %s; first used at line %d", quoteValue(name), line)
			default:
				names[name] = v.Line
				b.Name = name
			}
		}
	}

	// channels, height, width
	s := &b.Shape
	var chanOK, heightOK, widthOK bool
	if v, ok := required("channels"); ok {
		s.C, chanOK = p.intIn(v, "channels", 1, se.MaxChannels)
	}
	if v, ok := required("height"); ok {
		s.H, heightOK = p.intIn(v, "height", 1, se.MaxSide)
	}
	if v, ok := required("width"); ok {
		s.W, widthOK = p.intIn(v, "width", 1, se.MaxSide)
	}
	if heightOK && widthOK && s.H*s.W > se.MaxPlane {
		p.errorf(fields["width"].val, "height×width", "must be at most %d, got %d×%d = %d", se.MaxPlane, s.H, s.W, s.H*s.W)
	}

	// hidden and reduction: either, or both if they agree. Checks that need
	// channels are skipped when channels itself was wrong (already reported).
	rf, hasR := fields["reduction"]
	hf, hasH := fields["hidden"]
	var r, h int
	var redOK, hidOK bool
	if hasR {
		if r, redOK = p.int(rf.val, "reduction", "a positive integer that divides channels"); redOK {
			switch {
			case r < 1:
				p.errorf(rf.val, "reduction", "must be at least 1, got %d", r)
				redOK = false
			case chanOK && s.C%r != 0:
				p.errorf(rf.val, "reduction", "must divide channels (%d), got %d; give hidden instead for a rounded size", s.C, r)
				redOK = false
			}
		}
	}
	if hasH {
		if h, hidOK = p.int(hf.val, "hidden", "an integer between 1 and channels"); hidOK {
			switch {
			case h < 1 && !chanOK:
				p.errorf(hf.val, "hidden", "must be between 1 and channels, got %d", h)
				hidOK = false
			case chanOK && (h < 1 || h > s.C):
				p.errorf(hf.val, "hidden", "must be between 1 and channels (%d), got %d", s.C, h)
				hidOK = false
			}
		}
	}
	switch {
	case !hasR && !hasH:
		p.errorf(n, where, `missing field "hidden" or "reduction"; give one (hidden = channels / reduction)`)
	case chanOK && redOK && hidOK && s.C/r != h:
		p.errorf(hf.val, "hidden", "%d disagrees with reduction %d: channels / reduction = %d / %d = %d; give one of them, or make them agree",
			h, r, s.C, r, s.C/r)
	case chanOK && redOK:
		s.Hidden = s.C / r
	case hidOK:
		s.Hidden = h
	}

	// layout, squeeze, bias: optional, with the documented defaults.
	s.Layout, s.Squeeze, s.Bias = se.NCHW, se.Avg, true
	if f, ok := fields["layout"]; ok {
		s.Layout, _ = specEnum(p, f.val, "layout", specLayouts, "nchw, nhwc")
	}
	if f, ok := fields["squeeze"]; ok {
		s.Squeeze, _ = specEnum(p, f.val, "squeeze", specPools, "avg, max, stochastic")
	}
	if f, ok := fields["bias"]; ok {
		s.Bias, _ = p.bool(f.val, "bias")
	}

	if len(p.errs) > before {
		return b, false
	}
	// The checks above mirror se.Shape.Validate with better messages; keep
	// Validate as the final word so the two can never drift apart silently.
	if err := s.Validate(); err != nil {
		p.errorf(n, where, "%s", strings.TrimPrefix(err.Error(), "se: "))
		return b, false
	}
	return b, true
}

// str returns the string value of n, reporting other types. want describes
// what is expected, for the message.
func (p *specParser) str(n *yaml.Node, field, want string) (string, bool) {
	v := resolveAlias(n)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
		p.errorf(n, field, "must be %s, got %s", want, describeNode(v))
		return "", false
	}
	return v.Value, true
}

// decimalInt is the integer syntax specs accept. YAML also reads 0x10, 0o20,
// 1_000 and (YAML 1.1) 020 as integers; the last silently means 16, so
// accept plain decimal only.
var decimalInt = regexp.MustCompile(`^[-+]?(0|[1-9][0-9]*)$`)

// int returns the integer value of n, reporting other types and syntax.
func (p *specParser) int(n *yaml.Node, field, want string) (int, bool) {
	v := resolveAlias(n)
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		p.errorf(n, field, "must be %s, got %s", want, describeNode(v))
		return 0, false
	}
	if !decimalInt.MatchString(v.Value) {
		p.errorf(n, field, "must be %s written in decimal without leading zeros, got %s", want, quoteValue(v.Value))
		return 0, false
	}
	i, err := strconv.Atoi(v.Value)
	if err != nil { // out of range for int: report it as such
		p.errorf(n, field, "must be %s, got %s (too large)", want, literalValue(v.Value))
		return 0, false
	}
	return i, true
}

// intIn returns the integer value of n, which must lie in [lo, hi].
func (p *specParser) intIn(n *yaml.Node, field string, lo, hi int) (int, bool) {
	i, ok := p.int(n, field, fmt.Sprintf("an integer between %d and %d", lo, hi))
	if ok && (i < lo || i > hi) {
		p.errorf(n, field, "must be between %d and %d, got %d", lo, hi, i)
		return 0, false
	}
	return i, ok
}

// bool returns the boolean value of n (true or false, any case).
func (p *specParser) bool(n *yaml.Node, field string) (bool, bool) {
	v := resolveAlias(n)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		switch strings.ToLower(v.Value) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	p.errorf(n, field, "must be true or false, got %s", describeNode(v))
	return false, false
}

// specEnum returns the value of string n in values; allowed lists the keys.
func specEnum[T any](p *specParser, n *yaml.Node, field string, values map[string]T, allowed string) (T, bool) {
	var zero T
	s, ok := p.str(n, field, "one of "+allowed)
	if !ok {
		return zero, false
	}
	t, ok := values[s]
	if !ok {
		p.errorf(n, field, "must be one of %s, got %s", allowed, quoteValue(s))
	}
	return t, ok
}

// resolveAlias follows aliases (*name) to the anchored node. The walk over a
// spec has a fixed depth, so even cyclic anchors cannot make it loop.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// describeNode says what a node is, for "got …" in messages.
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			if n.Value == "" || n.Value == "~" {
				return "an empty value"
			}
			return "null"
		case "!!str":
			return "string " + quoteValue(n.Value)
		case "!!int":
			return "integer " + literalValue(n.Value)
		case "!!float":
			return "number " + literalValue(n.Value)
		case "!!bool":
			return "boolean " + literalValue(n.Value)
		}
		tag := n.ShortTag() // user-written (!foo, !<...>): quote it unless plain
		if !plainYAMLTag.MatchString(tag) {
			tag = quoteValue(tag)
		}
		return tag + " " + quoteValue(n.Value)
	}
	return "an unsupported YAML node"
}

// plainYAMLTag matches YAML tags that read well without quotes.
var plainYAMLTag = regexp.MustCompile(`^!!?[-+.0-9A-Za-z_:/]{0,40}$`)

// plainYAMLLiteral matches values that read well without quotes.
var plainYAMLLiteral = regexp.MustCompile(`^[-+.0-9A-Za-z_]{1,40}$`)

// literalValue shows a number or boolean as written, quoting it only if it
// is long or odd (an explicit tag such as !!float can hold any text).
func literalValue(s string) string {
	if plainYAMLLiteral.MatchString(s) {
		return s
	}
	return quoteValue(s)
}

// quoteValue quotes s for a one-line message, shortening long values.
func quoteValue(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	return strconv.Quote(s)
}
