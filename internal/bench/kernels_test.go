package bench

// The default spec's kernels: the registered blocks the tests measure.
import _ "github.com/segen/segen/generated/sekernels"
