// Package lease makes a background job run on one replica at a time.
//
// Replicas of ballast share one database. Each job (garbage collection,
// the compactor, the Git poller) has a named lease, a row in the leases
// table saying which process holds it until when. Run keeps trying to take
// the lease; the holder runs the job and renews the lease every third of
// its lifetime. If the holder dies, the lease expires and another replica
// takes it within one lifetime and one retry interval. If a renewal fails
// (the database is unreachable, or the lease was taken because this
// process stalled), the job's context is cancelled at once, so that two
// holders never run for longer than it takes the job to notice.
//
// Leases compare the replicas' clocks: keep them in sync (NTP); a skew
// shortens or lengthens a lease by as much.
package lease
