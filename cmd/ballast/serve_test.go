package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/ballastml/ballast/internal/platform/config"
)

// TestServeFlagsAllApplied sets every serve flag to a value other than its
// default and checks that each one reaches the resolved configuration and
// names its environment variable in its help.
func TestServeFlagsAllApplied(t *testing.T) {
	values := map[string]string{
		"addr": "0.0.0.0:9", "data": "/srv/ballast", "public-url": "https://m.example",
		"db": "postgres://b@db/b", "store": "s3://models/ballast", "s3-endpoint": "http://127.0.0.1:9000", "s3-region": "eu-west-1", "s3-path-style": "true", "s3-ca-file": "/etc/ca.pem",
		"anonymous-read": "true", "create-repos": "write", "log-level": "debug", "log-format": "json",
		"allow-sparse-manifests": "true", "debug-addr": "127.0.0.1:6060", "metrics-addr": "127.0.0.1:9090",
		"git-poll-interval": "2m", "reap-interval": "3m", "gc-grace": "4h", "job-lease": "7s", "pull-log-retention": "24h", "git-allow-loopback": "true",
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
