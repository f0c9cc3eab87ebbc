//go:build race

package resnet

// raceEnabled trims the heaviest tests under the race detector, which slows
// the weight generation and GEMM loops tenfold; what it checks (the
// goroutines of a forward pass, the plan pool) the light tests cover.
const raceEnabled = true
