//go:build !amd64 || purego

package membw

// available lists the loops of this build: the portable ones, as there is
// no assembly for it.
func available() []loops { return []loops{goLoops} }
