package hub

import (
	"fmt"

	"github.com/segen/segen/runtime/imagenet"
)

// Preprocessing returns the evaluation recipe c describes, as timm's
// transforms_imagenet_eval applies it: resize to floor(size / crop_pct)
// as crop_mode says, centre crop, normalise with mean and std. It reports
// what runtime/imagenet cannot do: inputs that are not 3-channel squares,
// interpolations other than bilinear and bicubic.
func (c *Config) Preprocessing() (imagenet.Config, error) {
	r := imagenet.Default()
	ch, h, w := c.InputSize[0], c.InputSize[1], c.InputSize[2]
	switch {
	case ch != 3:
		return r, fmt.Errorf("input_size %v: %d channels; segen feeds networks RGB images (3 channels)", c.InputSize, ch)
	case h != w:
		return r, fmt.Errorf("input_size %v: not square; segen crops squares (give the side with -size)", c.InputSize)
	case len(c.Mean) != 3 || len(c.Std) != 3:
		return r, fmt.Errorf("mean %v and std %v: want 3 values each (RGB)", c.Mean, c.Std)
	}
	r.Size, r.CropPct = h, c.CropPct
	var err error
	if r.Interp, err = imagenet.ParseInterp(c.Interpolation); err != nil {
		return r, fmt.Errorf("interpolation %q: segen resizes with bilinear or bicubic (give one with -interp)", c.Interpolation)
	}
	if r.Crop, err = imagenet.ParseCropMode(c.CropMode); err != nil {
		return r, fmt.Errorf("crop_mode %q: segen crops center, squash or border", c.CropMode)
	}
	for i := range 3 {
		if !(c.Std[i] > 0) {
			return r, fmt.Errorf("std %v: want 3 positive values", c.Std)
		}
		r.Mean[i], r.Std[i] = float32(c.Mean[i]), float32(c.Std[i])
	}
	if err := r.Check(); err != nil {
		return r, err
	}
	return r, nil
}
