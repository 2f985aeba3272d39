package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// memStatus is the memory of a process from /proc/PID/status, in bytes.
type memStatus struct {
	rss int64 // VmRSS: resident now
	hwm int64 // VmHWM: the most that was ever resident
}

// readMemStatus reads VmRSS and VmHWM of the process pid (Linux only).
func readMemStatus(pid int) (memStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	var m memStatus
	fields := map[string]*int64{"VmRSS:": &m.rss, "VmHWM:": &m.hwm}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[2] != "kB" {
			continue
		}
		if p, ok := fields[f[0]]; ok {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return memStatus{}, fmt.Errorf("/proc/%d/status: %q: %w", pid, sc.Text(), err)
			}
			*p = kb * kib
		}
	}
	if m.hwm == 0 {
		return memStatus{}, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
	}
	return m, nil
}

// memSampler reads a process's memory status at a fixed interval until
// stopped, and keeps the largest values seen.
type memSampler struct {
	stop chan struct{}
	done chan struct{}

	// Set by the sampling goroutine, read after done is closed.
	peak    memStatus
	samples int
	err     error
}

func sampleMemory(pid int, every time.Duration) *memSampler {
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s, err := readMemStatus(pid)
			if err != nil {
				m.err = err
				return
			}
			m.samples++
			m.peak.rss = max(m.peak.rss, s.rss)
			m.peak.hwm = max(m.peak.hwm, s.hwm)
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// finish stops sampling and returns the peaks and the number of samples.
func (m *memSampler) finish() (memStatus, int, error) {
	close(m.stop)
	<-m.done
	return m.peak, m.samples, m.err
}
