package main

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/config"
)

// TestServeFlagsAllApplied sets every serve flag to a value other than its
// default and checks that each one reaches the resolved configuration and
// names its environment variable in its help.
func TestServeFlagsAllApplied(t *testing.T) {
	values := map[string]string{
		"addr": "0.0.0.0:9", "data": "/srv/ballast", "public-url": "https://m.example",
		"anonymous-read": "true", "log-level": "debug", "log-format": "json",
		"allow-sparse-manifests": "true", "debug-addr": "127.0.0.1:6060", "metrics-addr": "127.0.0.1:9090",
		"git-poll-interval": "2m", "reap-interval": "3m", "gc-grace": "4h", "pull-log-retention": "24h", "git-allow-loopback": "true",
		"inline-dedup": "true", "upload-stall-timeout": "5s", "upload-memory": "1GiB", "git-allow-addr": "10.0.0.5,192.168.0.0/16",
	}
	f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg, file := config.Defaults(), ""
	bindServeFlags(f, &cfg, &file)
	var args []string
	f.VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "config" {
			return
		}
		v, ok := values[fl.Name]
		if !ok {
			t.Errorf("flag --%s has no value in this test", fl.Name)
			return
		}
		env := config.Env[fl.Name]
		if env == "" || !strings.Contains(fl.Usage, "(env "+env+")") {
			t.Errorf("flag --%s: no environment variable in config.Env or in its help %q", fl.Name, fl.Usage)
		}
		args = append(args, "--"+fl.Name+"="+v)
	})
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	got, err := resolveServeConfig(f, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	def := config.Defaults()
	gv, dv := reflect.ValueOf(got), reflect.ValueOf(def)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		if reflect.DeepEqual(gv.Field(i).Interface(), dv.Field(i).Interface()) {
			t.Errorf("%s kept its default %v although its flag was set", name, dv.Field(i).Interface())
		}
	}
}

// TestHousekeepingPrunesPullLog: one housekeeping pass drops pulls older
// than the retention and keeps the others; a retention of 0 keeps all.
func TestHousekeepingPrunesPullLog(t *testing.T) {
	ctx := context.Background()
	d, st := newTestStore(t)
	log := slog.New(slog.DiscardHandler)
	pulls := pulllog.New(d, pulllog.Options{Logger: log})
	for _, age := range []time.Duration{time.Hour, 48 * time.Hour, 72 * time.Hour} {
		pulls.Record(pulllog.PullEvent{Time: time.Now().Add(-age), Repo: "ml/a", Digest: "sha256:" + strings.Repeat("a", 64),
			Kind: pulllog.Blob, Protocol: pulllog.LFS, User: "alice"})
	}
	if err := pulls.Close(); err != nil { // flushes
		t.Fatal(err)
	}
	count := func() int {
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM pulls`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	hk := housekeeping{store: st, pulls: pulls, every: time.Hour, grace: time.Hour, log: log}
	hk.once(ctx)
	if n := count(); n != 3 {
		t.Fatalf("retention 0 left %d of 3 pulls", n)
	}
	hk.retention = 24 * time.Hour
	hk.once(ctx)
	if n := count(); n != 1 {
		t.Fatalf("a 24 h retention left %d pulls, want the one an hour old", n)
	}
}
