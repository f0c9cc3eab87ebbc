// Package seeded fills tensors with deterministic pseudo-random values that
// tools/resnet_fixtures.py computes identically (its uniform function), so
// tests regenerate the exact weights and inputs PyTorch ran with instead of
// committing them: each value is splitmix64 of the seed, the tensor's name
// (FNV-1a) and the element index, turned into a uniform float64 in [lo, hi)
// (24 random bits) and rounded once to float32.
package seeded

const golden = 0x9E3779B97F4A7C15

// fnv1a64 is the 64-bit FNV-1a hash of s.
func fnv1a64(s string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001B3
	}
	return h
}

// Uniform sets dst[i] to the i-th value of the stream for (seed, name),
// uniform in [lo, hi).
func Uniform(dst []float32, seed uint64, name string, lo, hi float64) {
	key := fnv1a64(name) ^ seed*golden
	for i := range dst {
		x := key + uint64(i+1)*golden
		z := (x ^ x>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		u := float64(z>>40) / (1 << 24)
		// The conversion keeps the compiler from fusing this into an FMA
		// (Go may on arm64), which would round differently from NumPy.
		dst[i] = float32(lo + float64((hi-lo)*u))
	}
}
