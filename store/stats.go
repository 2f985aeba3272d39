package store

import "sync/atomic"

// Stats are the store's counters since it was created, for monitoring.
type Stats struct {
	BlobsStored   int64 // new blobs committed by Put (not blobs only linked)
	BytesStored   int64 // their logical size
	BlobsStaged   int64 // of those, blobs staged raw for the compactor
	Compacted     int64 // staged blobs the compactor chunked and packed
	StagedBytes   int64 // size of the staged blobs not compacted yet, and of those being received (a gauge)
	PackBytes     int64 // bytes of the packs written: after dedup and compression
	BytesRead     int64 // bytes returned by readers from Open
	CorruptChunks int64 // chunks that failed verification on a read
	Quarantined   int64 // chunks and staged objects quarantined (quarantine.go)
	Healed        int64 // quarantined chunks and staged objects replaced by a fresh upload
	UploadMemory  int64 // bytes of upload buffers in use (a gauge, bounded by Options.UploadMemory)
	GCBlobs       int64 // blobs deleted by GC
	GCPacks       int64 // packs deleted by GC
	GCBytesFreed  int64 // bytes of those packs
}

// counters holds Stats as atomics.
type counters struct {
	blobsStored, bytesStored, packBytes, bytesRead, corruptChunks atomic.Int64
	blobsStaged, blobsCompacted, quarantined, healed              atomic.Int64
	gcBlobs, gcPacks, gcBytesFreed                                atomic.Int64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	c := &s.counters
	return Stats{
		BlobsStored: c.blobsStored.Load(), BytesStored: c.bytesStored.Load(), PackBytes: c.packBytes.Load(),
		BlobsStaged: c.blobsStaged.Load(), Compacted: c.blobsCompacted.Load(), StagedBytes: s.stagedBytes.Load(),
		BytesRead: c.bytesRead.Load(), CorruptChunks: c.corruptChunks.Load(),
		Quarantined: c.quarantined.Load(), Healed: c.healed.Load(), UploadMemory: s.mem.inUse(),
		GCBlobs: c.gcBlobs.Load(), GCPacks: c.gcPacks.Load(), GCBytesFreed: c.gcBytesFreed.Load(),
	}
}
