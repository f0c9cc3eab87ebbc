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
	// Output: resnet: unknown architecture "resnet42"; known: resnet18, resnet34, resnet50, resnet101, resnet152, seresnet18, seresnet34, seresnet50, seresnet101, seresnet152
}
