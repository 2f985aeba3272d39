package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

// baseline measures the limit the other figures are compared with: how
// fast openssl computes the sha256 of the 1 GiB random file (which is in
// the page cache). Go's crypto/sha256, which the server uses, is printed
// for reference.
func (b *bench) baseline() error {
	if err := b.measureBaseline(); err != nil {
		return err
	}
	f := b.big
	var sum string
	d, err := timed(func() error {
		in, err := os.Open(f.path)
		if err != nil {
			return err
		}
		defer in.Close()
		sum, err = sha256Hex(b.ctx, in, f.size)
		return err
	})
	if err != nil {
		return err
	}
	if sum != f.oid {
		return fmt.Errorf("Go sha256 of %s is %s, want %s", f.path, sum, f.oid)
	}
	b.printRate("Go crypto/sha256, one core", f.size, d, nil)
	return nil
}

// needBaseline measures the openssl baseline unless this run already did.
func (b *bench) needBaseline() error {
	if b.openssl != 0 {
		return nil
	}
	b.printf("the openssl baseline, measured first in this run:")
	return b.measureBaseline()
}

// measureBaseline writes the 1 GiB random file if needed and times
// `openssl dgst -sha256` on it.
func (b *bench) measureBaseline() error {
	if b.big == nil {
		d, err := timed(func() error {
			_, err := b.bigFile()
			return err
		})
		if err != nil {
			return err
		}
		b.printf("wrote a 1 GiB random file (AES-CTR keystream, incompressible) in %.2f s", d.Seconds())
	}
	f := b.big
	var out string
	d, err := timed(func() (err error) {
		out, err = output(b.command("openssl", "dgst", "-sha256", f.path))
		return err
	})
	if err != nil {
		return err
	}
	if !strings.Contains(out, f.oid) {
		return fmt.Errorf("openssl printed %q, want the sha256 %s", strings.TrimSpace(out), f.oid)
	}
	b.openssl = benchkit.Rate(f.size, d)
	b.printRate("openssl dgst -sha256 (the baseline)", f.size, d, nil)
	return nil
}
