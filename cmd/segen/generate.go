package main

import (
	"fmt"
	"io"

	"github.com/segen/segen/gen"
)

// cmdGenerate implements "segen generate".
func cmdGenerate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", "-spec FILE -out DIR [-pkg NAME] [-plan]",
		"Generate writes a Go package of SE kernels specialised for the blocks of a\n"+
			"spec: AVX2 and AVX-512 assembly, portable Go, CPU dispatch, registration with\n"+
			"se, and the package's own tests and benchmarks. Nothing is written unless the\n"+
			"whole package renders.", stderr)
	spec := fs.String("spec", "", "the YAML spec `file` (required)")
	out := fs.String("out", "", "the output `directory` (required; created if missing)")
	pkg := fs.String("pkg", "", "package `name`, overriding the spec's package field")
	plan := fs.Bool("plan", false, "print the plan (one line per block) instead of generating")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: generate takes only flags", fs.Arg(0))
	}
	if *spec == "" || (*out == "" && !*plan) {
		fs.Usage()
		return errUsage
	}
	s, err := gen.LoadSpec(*spec)
	if err != nil {
		return err
	}
	if *plan {
		p, err := gen.NewPlan(s)
		if err != nil {
			return err
		}
		fmt.Fprint(stdout, p)
		return nil
	}
	if err := gen.Generate(s, *out, *pkg); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "segen: wrote package %s (%d blocks) to %s\n", pkgName(s, *pkg), len(s.Blocks), *out)
	return nil
}

func pkgName(s *gen.Spec, override string) string {
	if override != "" {
		return override
	}
	return s.Package
}
