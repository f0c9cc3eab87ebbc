package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segen/segen/runtime/inception"
	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/safetensors"
	"github.com/segen/segen/runtime/tensor"
	"github.com/segen/segen/se"
)

// network is a classifier of either runtime package: a ResNet or SE-ResNet
// (runtime/resnet) or SE-BN-Inception or BN-Inception (runtime/inception).
type network interface {
	Classes() int
	Forward(x *tensor.Tensor) (*tensor.Tensor, error)
}

// archNames returns every architecture segen runs.
func archNames() []string { return append(resnet.Archs(), inception.Archs()...) }

// checkArch reports whether segen runs the architecture called name.
func checkArch(name string) error {
	if slices.Contains(archNames(), name) {
		return nil
	}
	return fmt.Errorf("unknown architecture %q; known: %s", name, strings.Join(archNames(), ", "))
}

// checkImageSize reports whether arch takes images of size×size.
func checkImageSize(arch string, size int) error {
	if isInception(arch) && size != inception.Size {
		return fmt.Errorf("-size %d: %s takes %d×%d images only", size, arch, inception.Size, inception.Size)
	}
	return nil
}

// isInception reports whether arch is one of runtime/inception's.
func isInception(arch string) bool {
	_, err := inception.LookupArch(arch)
	return err == nil
}

// inceptionHint returns advice for weights that fit no ResNet but carry a
// layer name of the SENet release's prototxt (the Inceptions' stem,
// conv1_7x7_s2.weight, possibly under a prefix), or "" for other weights:
// nothing infers the Inceptions from weights, so the user names one.
func inceptionHint(f *safetensors.File) string {
	a, _ := inception.LookupArch(inception.Archs()[0])
	stem := a.Params(1)[0].Name
	for _, t := range f.Tensors {
		if t.Name == stem || strings.HasSuffix(t.Name, "."+stem) {
			return fmt.Sprintf("%s is a layer of the Inceptions, which are not inferred from weights: give -arch %s",
				t.Name, strings.Join(inception.Archs(), " or -arch "))
		}
	}
	return ""
}

// netOptions are the options both runtime packages take.
type netOptions struct {
	threads int
	generic bool
}

// loadNetwork builds arch from a weights file, or with seeded random
// weights (classes outputs) when path is "".
func loadNetwork(arch, path string, seed uint64, classes int, o netOptions) (network, error) {
	if isInception(arch) {
		opts := inception.Options{Threads: o.threads, UseGeneric: o.generic}
		if path == "" {
			return inception.NewRandom(arch, classes, seed, opts)
		}
		return inception.Load(arch, path, opts)
	}
	opts := resnet.Options{Threads: o.threads, UseGeneric: o.generic}
	if path == "" {
		return resnet.NewRandom(arch, classes, seed, opts)
	}
	return resnet.Load(arch, path, opts)
}

// withThreads returns m running on threads goroutines per layer, sharing
// its weights.
func withThreads(m network, threads int) network {
	switch m := m.(type) {
	case *resnet.Model:
		return m.WithOptions(resnet.Options{Threads: threads})
	case *inception.Model:
		return m.WithOptions(inception.Options{Threads: threads})
	}
	panic(fmt.Sprintf("segen: unknown network %T", m))
}

// seKernels returns the SE kernels a forward pass of n×3×h×w runs, nil
// entries for blocks without SE.
func seKernels(m network, n, h, w int) ([]se.Kernel, error) {
	switch m := m.(type) {
	case *resnet.Model:
		p, err := m.NewPlan(n, h, w)
		if err != nil {
			return nil, err
		}
		return p.Kernels(), nil
	case *inception.Model:
		if err := inception.CheckInput([]int{n, 3, h, w}); err != nil {
			return nil, err
		}
		return m.NewPlan(n).Kernels(), nil
	}
	panic(fmt.Sprintf("segen: unknown network %T", m))
}
