package safetensors

import (
	"fmt"
	"strings"
)

// WeightsError reports everything wrong with a weights file for a model's
// architecture: missing and unexpected keys, shape and dtype mismatches.
// The model packages (runtime/resnet, runtime/inception) return it.
type WeightsError struct {
	Package  string   // the model package, which starts the message: "resnet"
	Arch     string   // the architecture the file was loaded for
	Problems []string // one line each, e.g. `missing key "fc.bias" (want shape [1000])`
	Hint     string   // a guess at the cause, e.g. "the file's keys are those of resnet50", or ""
}

func (e *WeightsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: weights for %s: %s", e.Package, e.Arch, e.Problems[0])
	if n := len(e.Problems) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more problem", n)
		if n > 1 {
			b.WriteString("s")
		}
		b.WriteString(")")
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}
