// Package nn holds the layers of the inference runtime: convolution with
// pre-packed weights and a fused epilogue, pooling, a linear layer,
// batch-norm folding, and the Workspace that carries per-worker scratch and
// the thread count.
//
// Activations are NHWC (channels-last): an image of H×W pixels with C
// channels is H×W rows of C contiguous values, and a batch is N such images
// one after another. A convolution is then one matrix product: its rows are
// the output pixels of the whole batch, its columns the output channels, and
// its depth the KH×KW×Cin window values, which for a 1×1 convolution are
// exactly a row of the input.
//
// Layers are immutable after construction and safe for concurrent use; all
// mutable state of a forward pass lives in the Workspace and the buffers the
// caller passes in.
package nn
