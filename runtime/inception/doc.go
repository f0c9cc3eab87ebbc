// Package inception runs SE-BN-Inception, the Inception network of the
// original SENet release (SE-BN-Inception.prototxt: 23.62 % top-1 error on
// ImageNet, 11.9 M parameters), and BN-Inception, the same network without
// its SE modules, in pure Go.
//
// It computes what the prototxt computes in Caffe's test phase: a 7×7
// stride-2 stem, a 1×1 reduce and a 3×3 convolution, max pools whose output
// size rounds up, and ten Inception modules, each the concatenation of a 1×1
// branch, a 3×3 branch (1×1 reduce → 3×3), a double 3×3 branch (1×1 reduce →
// 3×3 → 3×3) and a pool branch (3×3 average or max pool → 1×1 projection);
// modules 3c and 4e halve the resolution and have no 1×1 branch, their pool
// branch a stride-2 max pool with no projection. Every convolution is
// followed by a batch norm (folded in at load) and ReLU. SE-BN-Inception
// puts an SE module on each module's whole concatenated output (no
// residual): global average pool → 1×1 convolution with bias → ReLU → 1×1
// convolution with bias → sigmoid → per-channel scale. A 7×7 average pool
// and a fully connected classifier end the network; Forward returns the
// classifier's logits (the prototxt's final Softmax is left to the caller).
// Input is 224×224, BGR, in Caffe's preprocessing (0–255 values less the
// mean 104, 117, 123); the network itself does not care how its input was
// made. One deliberate difference from Caffe: a NaN input wins a max pool,
// as in PyTorch, where Caffe's comparison would drop it.
//
// Weights are keyed by the prototxt's layer names with "/" replaced by "_"
// (see Arch.Params), as tools/inception_fixtures.py, the PyTorch reference
// that executes the prototxt layer by layer, names them.
//
// Activations are NHWC. Each branch's last convolution writes its channels
// of the module's output in place (the concatenation costs nothing) and
// sums them in the same write-back, so an SE module's squeeze needs no pass
// of its own: what is left is the excitation and one scale pass — and for
// the last module not even that, since the final average pool of the scaled
// output is the gate times the squeeze.
package inception
