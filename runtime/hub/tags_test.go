package hub

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/segen/segen/runtime/resnet"
)

// TestTimmTags checks timm_tags.txt: tags of checkpoints the README's
// table lists, none for an architecture without trained weights, and
// every line an architecture segen runs with distinct, well-formed tags.
func TestTimmTags(t *testing.T) {
	for _, c := range []struct {
		arch string
		want []string
	}{
		{"seresnet50", []string{"a1_in1k", "a2_in1k", "a3_in1k", "ra2_in1k"}},
		{"seresnext50_32x4d", []string{"racm_in1k", "gluon_in1k"}},
		{"seresnextaa101d_32x8d", []string{"sw_in12k_ft_in1k_288", "sw_in12k_ft_in1k", "sw_in12k", "ah_in1k"}},
		{"legacy_senet154", []string{"in1k"}},
		{"seresnet18", nil}, // .untrained only
		{"convnext_tiny", nil},
		{"", nil},
	} {
		if got := TimmTags(c.arch); !slices.Equal(got, c.want) {
			t.Errorf("TimmTags(%q) = %v, want %v", c.arch, got, c.want)
		}
	}
	tag := regexp.MustCompile(`^[a-z0-9_]+$`)
	archs := resnet.Archs()
	lines := 0
	for line := range strings.Lines(timmTagsTxt) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		f := strings.Fields(line)
		if len(f) < 2 || !slices.Contains(archs, f[0]) {
			t.Errorf("line %q: want an architecture segen runs and its tags", line)
			continue
		}
		for i, tg := range f[1:] {
			if !tag.MatchString(tg) || slices.Contains(f[1:i+1], tg) {
				t.Errorf("%s: tag %q is malformed or repeated", f[0], tg)
			}
		}
	}
	if lines < 30 {
		t.Errorf("timm_tags.txt lists %d architectures; timm has trained weights for more than 30 of segen's", lines)
	}
}
