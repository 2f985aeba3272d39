package chunker

// gearSeed seeds the Gear table: the ASCII bytes of "ballast".
//
// The table determines every chunk boundary, so stored chunks only
// deduplicate against new data while it stays the same. Never change the
// seed or the generator; gear_test.go pins the result.
const gearSeed = 0x62616c6c617374

// gear is the Gear hash table: entry i is the (i+1)th output of splitmix64
// started from gearSeed.
var gear = newGear(gearSeed)

func newGear(seed uint64) [256]uint64 {
	var t [256]uint64
	s := seed
	for i := range t {
		t[i] = splitmix64(&s)
	}
	return t
}

// splitmix64 advances *s and returns the next output of SplitMix64
// (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014), with the constants of Vigna's reference implementation.
func splitmix64(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
