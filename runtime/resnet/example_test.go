package resnet_test

import (
	"fmt"

	"github.com/segen/segen/runtime/resnet"
	"github.com/segen/segen/runtime/tensor"
)

// A network with deterministic random weights (resnet.Load reads real
// ones) classifying one 64×64 image into 10 classes.
func ExampleNewRandom() {
	m, err := resnet.NewRandom("seresnet18", 10, 1, resnet.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := tensor.New(1, 3, 64, 64) // NCHW, normalised
	logits, err := m.Forward(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(logits.Shape)
	// Output: [1 10]
}

func ExampleLookupArch() {
	_, err := resnet.LookupArch("resnet42")
	fmt.Println(err)
	// Output: resnet: unknown architecture "resnet42"; known: resnet18, resnet34, resnet50, resnet101, resnet152, seresnet18, seresnet34, seresnet50, seresnet101, seresnet152, resnet50d, resnet152d, resnet200d, resnetaa50d, seresnet152d, seresnet200d, seresnet269d, seresnetaa50d, resnext50_32x4d, resnext101_32x4d, resnext101_32x8d, resnext101_64x4d, seresnext26d_32x4d, seresnext26t_32x4d, seresnext50_32x4d, seresnext101_32x4d, seresnext101_32x8d, seresnext101d_32x8d, seresnext101_64x4d, seresnextaa101d_32x8d, seresnextaa201d_32x8d, legacy_seresnet18, legacy_seresnet34, legacy_seresnet50, legacy_seresnet101, legacy_seresnet152, legacy_seresnext26_32x4d, legacy_seresnext50_32x4d, legacy_seresnext101_32x4d, legacy_senet154
}
