package e2e

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A first start that fails (its port is taken) creates no admin token, so
// the next start, once it is serving, makes one and prints it, and the
// printed token works.
func TestFirstStartPrintsTheAdminTokenOnceServing(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	data := filepath.Join(t.TempDir(), "data")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := busy.Addr().String()
	out, err := exec.Command(ballastBin, "serve", "--addr", addr, "--data", data).CombinedOutput()
	if err == nil {
		t.Fatalf("serve on a port in use succeeded:\n%s", out)
	}
	if strings.Contains(string(out), "blst_") {
		t.Fatalf("a start that failed printed a token:\n%s", out)
	}
	busy.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, ballastBin, "serve", "--addr", addr, "--data", data)
	cmd.Env = environ("BALLAST_")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel() // kills the server
		cmd.Wait()
	}()
	token := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`^\s+(blst_\S+)\s*$`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				token <- m[1]
			}
		}
	}()
	var secret string
	select {
	case secret = <-token:
	case <-time.After(60 * time.Second):
		t.Fatal("the second first start printed no admin token")
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the printed admin token lists tokens with status %d", resp.StatusCode)
	}
}
