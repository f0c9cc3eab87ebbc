//go:build !unix

package cputime

import "time"

// Used is not measured here: it returns 0, and benchmarks then report
// wall-clock figures only.
func Used() time.Duration { return 0 }
