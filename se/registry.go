package se

import (
	"fmt"
	"sort"
	"sync"
)

// The registry maps shapes to specialised kernels. Generated packages fill it
// from init functions; afterwards it is only read, so Lookup is safe for
// concurrent use. The mutex only guards against packages initialising in
// parallel in future Go versions; it is uncontended after init.
var registry struct {
	sync.RWMutex
	kernels  map[Shape]Kernel
	blocks   map[Shape]*specialised // the packages' blocks, for Specialised
	fallback func(Shape) Kernel
}

// Register makes k the kernel Lookup returns for k.Shape(). Generated
// packages call it from init with the best implementation the CPU runs. It
// panics if the shape is invalid or already registered: two packages
// specialising the same shape are a build mistake worth hearing about.
func Register(k Kernel) { register(k, nil) }

// register adds k, and b when it is not nil.
func register(k Kernel, b *specialised) {
	s := k.Shape()
	if err := s.Validate(); err != nil {
		panic(err)
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.kernels == nil {
		registry.kernels = make(map[Shape]Kernel)
	}
	if old, ok := registry.kernels[s]; ok {
		panic(fmt.Sprintf("se: Register: shape %v already has a %s kernel", s, old.Impl()))
	}
	registry.kernels[s] = k
	if b != nil {
		if registry.blocks == nil {
			registry.blocks = make(map[Shape]*specialised)
		}
		registry.blocks[s] = b
	}
}

// RegisterFallback sets the constructor Lookup uses for shapes that have no
// specialised kernel, in place of Generic. Generated packages register their
// runtime-sized SIMD kernels this way; the last registration wins.
func RegisterFallback(f func(Shape) Kernel) {
	registry.Lock()
	defer registry.Unlock()
	registry.fallback = f
}

// Fallback returns the kernel Lookup returns for s when no package
// specialises it: the registered fallback's (runtime-sized SIMD), else the
// generic plain-Go kernel.
func Fallback(s Shape) Kernel {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	registry.RLock()
	f := registry.fallback
	registry.RUnlock()
	if f != nil {
		return f(s)
	}
	return Generic(s)
}

// Lookup returns the specialised kernel registered for s, else the
// registered fallback (runtime-sized SIMD), else the generic plain-Go
// kernel. It panics if s is invalid; call s.Validate first for untrusted shapes.
func Lookup(s Shape) Kernel {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	registry.RLock()
	k, ok := registry.kernels[s]
	registry.RUnlock()
	if ok {
		return k
	}
	return Fallback(s)
}

// Registered returns every registered specialised kernel, ordered by shape.
func Registered() []Kernel {
	registry.RLock()
	ks := make([]Kernel, 0, len(registry.kernels))
	for _, k := range registry.kernels {
		ks = append(ks, k)
	}
	registry.RUnlock()
	sort.Slice(ks, func(i, j int) bool { return shapeLess(ks[i].Shape(), ks[j].Shape()) })
	return ks
}

func shapeLess(a, b Shape) bool {
	ka := [...]int{int(a.Layout), a.C, a.H, a.W, a.Hidden, int(a.Squeeze), boolInt(a.Bias)}
	kb := [...]int{int(b.Layout), b.C, b.H, b.W, b.Hidden, int(b.Squeeze), boolInt(b.Bias)}
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
