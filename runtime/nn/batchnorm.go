package nn

import (
	"fmt"
	"math"
)

// BatchNorm holds the inference-time parameters of a 2-D batch norm:
// y = (x − Mean)/sqrt(Var + Eps)·Weight + Bias per channel.
type BatchNorm struct {
	Weight, Bias, Mean, Var []float32
	Eps                     float64 // PyTorch's default is 1e-5
}

// Fold folds bn into the convolution before it: weight (PyTorch layout,
// [OutC][…], OutC = len(bn.Weight)) is scaled in place by
// Weight/sqrt(Var+Eps) per output channel, and the returned bias is
// Bias − Mean·Weight/sqrt(Var+Eps) (the convolution itself has none). The
// scale is computed in float64 and each result rounded once to float32.
func (bn BatchNorm) Fold(weight []float32) ([]float32, error) {
	c := len(bn.Weight)
	if c == 0 || len(bn.Bias) != c || len(bn.Mean) != c || len(bn.Var) != c || len(weight)%c != 0 {
		return nil, fmt.Errorf("nn: batch norm of %d/%d/%d/%d values does not fit %d conv weights",
			len(bn.Weight), len(bn.Bias), len(bn.Mean), len(bn.Var), len(weight))
	}
	per := len(weight) / c
	bias := make([]float32, c)
	for o := range c {
		scale := float64(bn.Weight[o]) / math.Sqrt(float64(bn.Var[o])+bn.Eps)
		w := weight[o*per : (o+1)*per]
		for i, v := range w {
			w[i] = float32(float64(v) * scale)
		}
		bias[o] = float32(float64(bn.Bias[o]) - float64(bn.Mean[o])*scale)
	}
	return bias, nil
}
