package gitindex

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// ErrForbiddenAddress is wrapped by the error of a fetch, or of a connect,
// whose http(s) URL leads to an address the server does not fetch from.
var ErrForbiddenAddress = errors.New("address not allowed for Git sources")

// guard is the process's policy for http(s) Git sources, set by
// GuardHTTP; nil until then (no restriction, as in tests).
var guard atomic.Pointer[addrPolicy]

// addrPolicy decides which addresses Git fetches may connect to.
type addrPolicy struct {
	allowLoopback bool
	allow         []netip.Prefix             // allowed whatever else they are
	own           func() ([]net.Addr, error) // this machine's interface addresses; nil: net.InterfaceAddrs
}

// GuardOptions configure GuardHTTP.
type GuardOptions struct {
	// AllowLoopback lets Git sources be fetched from this machine: its
	// loopback addresses and the addresses of its own interfaces.
	AllowLoopback bool
	// Allow lists addresses and networks that may be fetched from whatever
	// else they are (a Git server on this machine, say, without opening
	// all of it); unspecified, multicast and broadcast addresses stay
	// refused.
	Allow []netip.Prefix
}

// Cloud metadata services that are not in a link-local range.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS, over IPv6
}

// check returns why the server does not connect to ip, or nil.
func (p *addrPolicy) check(ip netip.Addr) error {
	ip = ip.Unmap()
	var kind string
	switch {
	case ip.IsUnspecified():
		kind = "unspecified address"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		kind = "multicast address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		kind = "broadcast address"
	case p.allowed(ip):
		return nil
	case ip.IsLoopback() && !p.allowLoopback:
		return fmt.Errorf("%w: %s is a loopback address (start the server with --git-allow-loopback to fetch from this machine, or allow the address with --git-allow-addr)", ErrForbiddenAddress, ip)
	case !p.allowLoopback && p.isOwn(ip):
		// Services of this machine that listen on all interfaces are
		// reachable at its own addresses as well as at loopback.
		return fmt.Errorf("%w: %s is an address of this machine (start the server with --git-allow-loopback to fetch from this machine, or allow the address with --git-allow-addr)", ErrForbiddenAddress, ip)
	case ip.IsLinkLocalUnicast():
		kind = "link-local address (where cloud metadata services live)"
	default:
		for _, m := range metadataAddrs {
			if ip == m {
				kind = "cloud metadata service address"
			}
		}
	}
	if kind != "" {
		return fmt.Errorf("%w: %s is a %s", ErrForbiddenAddress, ip, kind)
	}
	return nil
}

// allowed reports whether ip is in the allow-list.
func (p *addrPolicy) allowed(ip netip.Addr) bool {
	for _, pr := range p.allow {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// isOwn reports whether ip is an address of one of this machine's
// interfaces. They are read at every check, so an address added after
// start-up counts too; if they cannot be read, every address counts as
// this machine's own, refusing rather than guessing.
func (p *addrPolicy) isOwn(ip netip.Addr) bool {
	own := p.own
	if own == nil {
		own = net.InterfaceAddrs
	}
	addrs, err := own()
	if err != nil {
		return true
	}
	for _, a := range addrs {
		var a2 netip.Addr
		switch v := a.(type) {
		case *net.IPNet:
			a2, _ = netip.AddrFromSlice(v.IP)
		case *net.IPAddr:
			a2, _ = netip.AddrFromSlice(v.IP)
		}
		if a2.Unmap() == ip {
			return true
		}
	}
	return false
}

// GuardHTTP makes the http(s) Git fetches of this process refuse to
// connect to addresses that a Git source named by a user with write access
// has no business reaching: this machine's (loopback, and the addresses of
// its own interfaces, unless AllowLoopback), link-local (cloud metadata
// services), unspecified, multicast and broadcast ones. Addresses in
// Allow are allowed whatever else they are, but for the last three.
// Private networks stay allowed, since a self-hosted Git server usually
// lives on one. The address is checked on every connection, after DNS
// resolution and after each redirect, so a name resolving to such an
// address is refused too. Connect also refuses such literal addresses at
// once.
//
// A proxy named by HTTP_PROXY or HTTPS_PROXY is an address like any other:
// a proxy on this machine needs AllowLoopback or an Allow entry.
//
// It replaces go-git's http and https transports, which are process-wide.
func GuardHTTP(o GuardOptions) {
	p := &addrPolicy{allowLoopback: o.AllowLoopback, allow: o.Allow}
	guard.Store(p)
	c := githttp.NewClient(p.client())
	client.InstallProtocol("http", c)
	client.InstallProtocol("https", c)
}

// client is an HTTP client whose connections p checks.
func (p *addrPolicy) client() *http.Client {
	dialer := &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q", ErrForbiddenAddress, address)
			}
			return p.check(ap.Addr())
		},
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialer.DialContext
	return &http.Client{Transport: tr}
}

// checkHost refuses a literal IP host that the guard, if installed, would
// refuse to connect to. Names are checked when they are resolved.
func checkHost(host string) error {
	p := guard.Load()
	if p == nil {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	return p.check(ip)
}
