package gitindex

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// The machine's own non-loopback addresses are refused like loopback
// (services listening on all interfaces answer there too), unless this
// machine is allowed; the allow-list lets chosen addresses through, but
// never unspecified, multicast or broadcast ones.
func TestAddrPolicyOwnAddressesAndAllowList(t *testing.T) {
	own := func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: net.ParseIP("10.0.5.7"), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("2001:db8::7"), Mask: net.CIDRMask(64, 128)},
		}, nil
	}
	strict := &addrPolicy{own: own}
	lenient := &addrPolicy{own: own, allowLoopback: true}
	listed := &addrPolicy{own: own, allow: []netip.Prefix{netip.MustParsePrefix("10.0.5.7/32"), netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("0.0.0.0/0")}}
	for _, c := range []struct {
		p     *addrPolicy
		addr  string
		allow bool
	}{
		{strict, "10.0.5.7", false},
		{strict, "2001:db8::7", false},
		{strict, "::ffff:10.0.5.7", false},
		{strict, "10.0.5.8", true}, // another host on the same network
		{lenient, "10.0.5.7", true},
		{listed, "10.0.5.7", true},
		{listed, "127.0.0.1", true},
		{listed, "2001:db8::7", false},
		{listed, "0.0.0.0", false},
		{listed, "255.255.255.255", false},
		{listed, "224.0.0.1", false},
	} {
		if err := c.p.check(netip.MustParseAddr(c.addr)); (err == nil) != c.allow {
			t.Errorf("%+v: %s allowed %v, want %v (%v)", c.p, c.addr, err == nil, c.allow, err)
		}
	}
	unreadable := &addrPolicy{own: func() ([]net.Addr, error) { return nil, errors.New("no netlink") }}
	if err := unreadable.check(netip.MustParseAddr("10.9.9.9")); err == nil {
		t.Error("an address was allowed although the machine's own addresses could not be read")
	}
}

func TestAddrPolicy(t *testing.T) {
	none := func() ([]net.Addr, error) { return nil, nil }
	strict, lenient := &addrPolicy{own: none}, &addrPolicy{allowLoopback: true, own: none}
	for _, c := range []struct {
		addr            string
		strict, lenient bool // allowed?
	}{
		{"93.184.215.14", true, true},
		{"10.1.2.3", true, true}, // a Git server on the LAN
		{"192.168.0.10", true, true},
		{"2001:db8::1", true, true},
		{"127.0.0.1", false, true},
		{"127.8.9.10", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true}, // mapped IPv4 is unmapped first
		{"169.254.169.254", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"fd00:ec2::254", false, false},
		{"100.100.100.200", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
		{"255.255.255.255", false, false},
	} {
		ip := netip.MustParseAddr(c.addr)
		for _, p := range []struct {
			name  string
			p     *addrPolicy
			allow bool
		}{{"strict", strict, c.strict}, {"allowing loopback", lenient, c.lenient}} {
			err := p.p.check(ip)
			if (err == nil) != p.allow {
				t.Errorf("%s: %s allowed %v, want %v (%v)", p.name, c.addr, err == nil, p.allow, err)
			}
			if err != nil && !errors.Is(err, ErrForbiddenAddress) {
				t.Errorf("%s: %s: %v does not wrap ErrForbiddenAddress", p.name, c.addr, err)
			}
		}
	}
}

// TestGuardedClientChecksEveryConnection dials a loopback server by name,
// so the check can only be the one made after resolution, and follows a
// redirect to it from an allowed-looking URL.
func TestGuardedClientChecksEveryConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	_, err := (&addrPolicy{}).client().Get(byName)
	if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "--git-allow-loopback") {
		t.Fatalf("GET %s with loopback refused: %v, want ErrForbiddenAddress naming the flag", byName, err)
	}
	resp, err := (&addrPolicy{allowLoopback: true}).client().Get(byName)
	if err != nil {
		t.Fatalf("GET %s with loopback allowed: %v", byName, err)
	}
	resp.Body.Close()
}

func TestConnectRefusesForbiddenLiteral(t *testing.T) {
	old := guard.Load()
	guard.Store(&addrPolicy{})
	t.Cleanup(func() { guard.Store(old) })
	for _, u := range []string{"http://169.254.169.254/latest/meta-data.git", "https://[::1]:8443/x.git", "http://127.0.0.1/x.git"} {
		if err := checkURL(Source{URL: u}); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("checkURL(%s) = %v, want ErrForbiddenAddress", u, err)
		}
	}
	if err := checkURL(Source{URL: "https://git.internal.example/ml/x.git"}); err != nil {
		t.Errorf("a name is checked when resolved, not at connect: %v", err)
	}
}
