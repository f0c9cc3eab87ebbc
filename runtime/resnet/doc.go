// Package resnet builds ResNet and SE-ResNet (18/34/50/101/152) exactly as
// timm does, loads timm's weights from safetensors, and runs inference on
// runtime/nn layers and the se package's kernels.
//
//	m, err := resnet.Load("seresnet50", "model.safetensors", resnet.Options{})
//	...
//	logits, err := m.Forward(x) // x: [N, 3, H, W] float32, normalised
//
// Inputs are NCHW, as PyTorch takes them; internally every activation is
// NHWC (see runtime/nn), the input is transposed once on entry, and the
// logits [N, classes] need no conversion on exit. Any H and W work.
//
// SE modules run the kernel se.Lookup returns for each block's activation
// shape. The package does not import a generated kernel package itself:
// a program that wants the specialised kernels imports one, e.g.
//
//	import _ "github.com/segen/segen/generated/sekernels"
//
// and every other shape (or Options.UseGeneric) runs se's generic kernels.
package resnet
