//go:build !amd64 || purego

package membw

// asmLoops is empty: this build has no assembly.
var asmLoops []loops
