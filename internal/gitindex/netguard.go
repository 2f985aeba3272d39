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

type addrPolicy struct{ allowLoopback bool }

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
	case ip.IsLoopback() && !p.allowLoopback:
		return fmt.Errorf("%w: %s is a loopback address (start the server with --git-allow-loopback to fetch from this machine)", ErrForbiddenAddress, ip)
	case ip.IsLinkLocalUnicast():
		kind = "link-local address (where cloud metadata services live)"
	case ip.IsUnspecified():
		kind = "unspecified address"
	case ip.IsMulticast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast():
		kind = "multicast address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		kind = "broadcast address"
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

// GuardHTTP makes the http(s) Git fetches of this process refuse to
// connect to addresses that a Git source named by a user with write access
// has no business reaching: loopback (unless allowLoopback), link-local
// (cloud metadata services), unspecified, multicast and broadcast ones.
// Private networks stay allowed, since a self-hosted Git server usually
// lives on one. The address is checked on every connection, after DNS
// resolution and after each redirect, so a name resolving to such an
// address is refused too. Connect also refuses such literal addresses at
// once.
//
// A proxy named by HTTP_PROXY or HTTPS_PROXY is an address like any other:
// a proxy on this machine needs allowLoopback.
//
// It replaces go-git's http and https transports, which are process-wide.
func GuardHTTP(allowLoopback bool) {
	p := &addrPolicy{allowLoopback: allowLoopback}
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
