package chunker

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"testing"
)

// The values in this file pin chunk boundaries. If a test here fails, the
// change would cut stored data differently and lose deduplication against
// it: fix the change, never the expected values.

func TestSplitmix64(t *testing.T) {
	// Outputs of Vigna's reference splitmix64.c for the state 1234567.
	s := uint64(1234567)
	for i, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423} {
		if got := splitmix64(&s); got != want {
			t.Fatalf("output %d = %d, want %d", i, got, want)
		}
	}
}

func TestGearTablePinned(t *testing.T) {
	entries := map[int]uint64{
		0:   0xd4501e0f5ffb07aa,
		1:   0x85a0a0dd78500dc5,
		2:   0x3c418d723f10a8dc,
		127: 0x7e936efebfd6f024,
		255: 0x6482dd2747fc31fb,
	}
	for i, want := range entries {
		if gear[i] != want {
			t.Errorf("gear[%d] = %#016x, want %#016x", i, gear[i], want)
		}
	}
	h := sha256.New()
	for _, v := range gear {
		h.Write(binary.LittleEndian.AppendUint64(nil, v))
	}
	const want = "afacaa0eea760d6cde5e93a3b3743dc96aebef1d8cb1f1957631552d94998468"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("sha256 of the gear table = %s, want %s", got, want)
	}
}

func TestBoundariesPinned(t *testing.T) {
	tests := []struct {
		o    Options
		size int
		want []int
	}{
		{small, 256 << 10, []int{
			8565, 10406, 8473, 8579, 9763, 17871, 6709, 12040, 12272, 9378, 3407, 8245, 9434, 14141,
			9225, 10495, 5698, 7422, 10559, 9639, 9071, 9771, 9752, 11767, 10449, 13333, 5680,
		}},
		{Options{Min: 256 << 10, Avg: 1 << 20, Max: 4 << 20}, 16 << 20, []int{
			1163993, 1270885, 1055910, 1196261, 1318522, 1357351, 1322965, 1139443, 1107108,
			1072172, 1088303, 1497163, 1512353, 674787,
		}},
	}
	for _, tt := range tests {
		data := randomBytes(42, tt.size)
		got := lengths(chunkReader(t, bytes.NewReader(data), tt.o))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v, %d bytes: chunk lengths\n%v\nwant\n%v", tt.o, tt.size, got, tt.want)
		}
	}
}
