package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/segen/segen/runtime/imagenet"
)

// preprocessFlags are segen run's flags that choose the input recipe's
// pixel format: a preset and per-channel overrides.
type preprocessFlags struct {
	preset    *string
	mean, std *string
}

func addPreprocessFlags(fs *flag.FlagSet) *preprocessFlags {
	return &preprocessFlags{
		preset: fs.String("preprocess", "", "pixel `recipe`: imagenet (RGB in [0, 1] less the ImageNet mean, over its std;\n"+
			"torchvision and timm models) or caffe (BGR in 0–255 less the mean pixel 104,117,123,\n"+
			"no std; the SENet release's Caffe models). Default: caffe for se_bn_inception and\n"+
			"bn_inception, imagenet for the others"),
		mean: fs.String("mean", "", "per-channel `values` to subtract, three comma-separated, in the recipe's channel\norder and value range (overrides the recipe's)"),
		std:  fs.String("std", "", "per-channel `values` to divide by, as -mean"),
	}
}

// apply sets c's pixel format from the preset (when -preprocess is given,
// or arch is one of the Caffe networks, whose default is caffe), then the
// -mean and -std overrides. The resize and crop stay c's.
func (p *preprocessFlags) apply(c *imagenet.Config, arch string) error {
	name := *p.preset
	if name == "" && isInception(arch) {
		name = "caffe"
	}
	var preset imagenet.Config
	switch name {
	case "":
		preset = *c
	case "imagenet":
		preset = imagenet.Default()
	case "caffe":
		preset = imagenet.Caffe()
	default:
		return fmt.Errorf("-preprocess: unknown recipe %q (known: imagenet, caffe)", name)
	}
	c.Scale, c.BGR, c.Mean, c.Std = preset.Scale, preset.BGR, preset.Mean, preset.Std
	var err error
	if *p.mean != "" {
		if c.Mean, err = triple("-mean", *p.mean); err != nil {
			return err
		}
	}
	if *p.std != "" {
		if c.Std, err = triple("-std", *p.std); err != nil {
			return err
		}
		for _, v := range c.Std {
			if !(v > 0) {
				return fmt.Errorf("-std %s: values must be positive", *p.std)
			}
		}
	}
	return nil
}

// triple parses three comma-separated numbers.
func triple(flag, s string) ([3]float32, error) {
	var out [3]float32
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return out, fmt.Errorf("%s %s: want three comma-separated numbers, one per channel", flag, s)
	}
	for i, part := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 32)
		if err != nil {
			return out, fmt.Errorf("%s %s: %q is not a number", flag, s, part)
		}
		out[i] = float32(v)
	}
	return out, nil
}
