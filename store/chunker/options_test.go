package chunker

import (
	"errors"
	"math/bits"
	"testing"
)

func TestDefaultOptions(t *testing.T) {
	o := DefaultOptions()
	if err := o.Validate(); err != nil {
		t.Fatalf("DefaultOptions().Validate() = %v", err)
	}
	if o != (Options{Min: 512 << 10, Avg: 1 << 20, Max: 4 << 20}) {
		t.Fatalf("DefaultOptions() = %+v", o)
	}
}

func TestValidate(t *testing.T) {
	good := []Options{
		{Min: 1, Avg: smallestAvg, Max: smallestAvg + 1},
		{Min: 2 << 10, Avg: 8 << 10, Max: 32 << 10},
		{Min: 1, Avg: 1 << 29, Max: largestMax},
	}
	for _, o := range good {
		if err := o.Validate(); err != nil {
			t.Errorf("%+v: Validate() = %v, want nil", o, err)
		}
	}
	bad := map[string]Options{
		"zero":                {},
		"Min zero":            {Min: 0, Avg: 1024, Max: 4096},
		"Min negative":        {Min: -1, Avg: 1024, Max: 4096},
		"Avg negative":        {Min: 1, Avg: -1024, Max: 4096},
		"Max negative":        {Min: 1, Avg: 1024, Max: -4096},
		"Avg not power of 2":  {Min: 256, Avg: 1000, Max: 4096},
		"Avg below 64":        {Min: 1, Avg: smallestAvg / 2, Max: 4096},
		"Min equals Avg":      {Min: 1024, Avg: 1024, Max: 4096},
		"Min above Avg":       {Min: 2048, Avg: 1024, Max: 4096},
		"Max equals Avg":      {Min: 256, Avg: 1024, Max: 1024},
		"Max below Avg":       {Min: 256, Avg: 1024, Max: 512},
		"Max above 1 GiB":     {Min: 256, Avg: 1024, Max: largestMax + 1},
		"Avg one, Max two":    {Min: 0, Avg: 1, Max: 2},
		"Avg power of 2 + 1":  {Min: 256, Avg: 1025, Max: 4096},
		"Max fits, Avg above": {Min: 256, Avg: 1 << 30, Max: largestMax},
	}
	for name, o := range bad {
		err := o.Validate()
		if !errors.Is(err, ErrOptions) {
			t.Errorf("%s %+v: Validate() = %v, want ErrOptions", name, o, err)
		}
		if _, err := New(nil, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%s %+v: New error = %v, want ErrOptions", name, o, err)
		}
	}
}

func TestMasks(t *testing.T) {
	for shift := 6; shift < 30; shift++ {
		strict, loose := Options{Avg: 1 << shift}.masks()
		if n := bits.OnesCount64(strict); n != shift+2 || bits.TrailingZeros64(strict) != 64-n {
			t.Errorf("Avg 2^%d: strict mask %#x, want the top %d bits", shift, strict, shift+2)
		}
		if n := bits.OnesCount64(loose); n != shift-2 || bits.TrailingZeros64(loose) != 64-n {
			t.Errorf("Avg 2^%d: loose mask %#x, want the top %d bits", shift, loose, shift-2)
		}
	}
}
