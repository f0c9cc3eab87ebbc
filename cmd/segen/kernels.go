//go:build !segen_bootstrap

package main

// The default spec's kernels, compiled into segen bench and segen run, and
// spec/stochastic.yaml's, so that bench measures the stochastic squeeze too.
// Building with -tags segen_bootstrap leaves them out, so the generator still
// builds when the generated package does not compile (after a change to se,
// say) and can regenerate it:
//
//	go run -tags segen_bootstrap ./cmd/segen generate -spec spec/se.yaml -out generated/sekernels
import (
	_ "github.com/segen/segen/generated/sekernels"
	_ "github.com/segen/segen/generated/stochastic"
)
