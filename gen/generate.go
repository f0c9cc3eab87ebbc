package gen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/segen/segen/asm"
)

// Constraints of the per-architecture files.
const (
	asmConstraint  = "amd64 && !purego"
	portConstraint = "!amd64 || purego"
)

// Files renders the package for plan p into memory, keyed by file name.
// generate is the command of the package's go:generate directive.
func (p *Plan) Files(generate string) (map[string][]byte, error) {
	files := map[string][]byte{}
	add := func(name string, f *jen.File) error {
		var b bytes.Buffer
		if err := f.Render(&b); err != nil {
			return fmt.Errorf("gen: rendering %s: %w", name, err)
		}
		files[name] = b.Bytes()
		return nil
	}
	for name, f := range map[string]*jen.File{
		"blocks.go":       p.renderBlocks(generate),
		"impl_amd64.go":   p.renderImpl(asmConstraint, p.ISAs),
		"impl_other.go":   p.renderImpl(portConstraint, nil),
		"kernels_go.go":   p.renderGoKernels(),
		"kernels_test.go": p.renderTests(),
	} {
		if err := add(name, f); err != nil {
			return nil, err
		}
	}
	src, stubs, err := p.renderAsm()
	if err != nil {
		return nil, fmt.Errorf("gen: assembling: %w", err)
	}
	files["kernels_amd64.s"] = src
	files["kernels_amd64.go"] = stubs
	return files, nil
}

// renderAsm emits every kernel of the plan for each assembly target.
func (p *Plan) renderAsm() (src, stubs []byte, err error) {
	f := asm.NewFile(p.Package)
	for _, isa := range p.ISAs {
		for _, k := range p.Kernels {
			f.Kernel(k.Func+isa.Suffix(), isa, k.Kernel)
		}
	}
	return f.Render()
}

// Generate writes the package for spec s into dir. Everything is rendered in
// memory first, so a failure leaves dir as it was; each file is then
// replaced atomically, and generated files the spec no longer produces are
// removed. The package's go:generate directive reruns this command with
// paths relative to dir. A non-empty pkg replaces the spec's package name.
func Generate(s *Spec, dir, pkg string) error {
	if pkg != "" {
		if problem := packageNameProblem(pkg); problem != "" {
			return fmt.Errorf("gen: -pkg %q: must be %s: %s", pkg, packageNameRule, problem)
		}
		copied := *s
		copied.Package = pkg
		s = &copied
	}
	p, err := NewPlan(s)
	if err != nil {
		return err
	}
	generate, err := generateCommand(s, dir, pkg)
	if err != nil {
		return err
	}
	files, err := p.Files(generate)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range sortedKeys(files) {
		if err := writeAtomic(filepath.Join(dir, name), files[name]); err != nil {
			return err
		}
	}
	return removeStale(dir, files)
}

// generateCommand is the go:generate command that regenerates dir from s.
func generateCommand(s *Spec, dir, pkg string) (string, error) {
	absSpec, err := filepath.Abs(s.File)
	if err != nil {
		return "", err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absDir, absSpec)
	if err != nil {
		return "", err
	}
	cmd := "go run github.com/segen/segen/cmd/segen generate -spec " + filepath.ToSlash(rel) + " -out ."
	if pkg != "" {
		cmd += " -pkg " + pkg
	}
	return cmd, nil
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// removeStale deletes files in dir that segen generated before but that are
// not part of files. Hand-written files are never touched.
func removeStale(dir string, files map[string][]byte) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if _, ok := files[name]; ok || e.IsDir() || !(strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".s")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if bytes.HasPrefix(data, []byte("// "+header)) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
