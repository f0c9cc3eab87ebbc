//go:build !amd64 || purego

package nn

import "github.com/segen/segen/isa"

// This build has no assembly engines.
var (
	asmEngines []*engine
	asmISAs    []isa.ISA
)
