package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
)

// readPassword prompts on out and reads one line from in, as the reference does
// (bgentry/speakeasy): the prompt, the line with surrounding spaces trimmed, then a line
// break on out. When in is a terminal its echo is turned off with stty for the read and
// turned back on afterwards, also when Ctrl-C ends the program mid-prompt.
//
// [OURS] The reference runs stty whatever stdin is, so a password piped in makes stty
// print "Inappropriate ioctl for device" twice on stderr; we only run it on terminals.
func readPassword(in *os.File, out io.Writer, prompt string) (string, error) {
	if prompt != "" {
		fmt.Fprint(out, prompt)
	}
	defer fmt.Fprintln(out)
	if isTerminal(in) {
		stty(in, "-echo")
		// A signal must not leave the terminal without echo: restore it, then exit
		// with the reference's status (speakeasy exits -1).
		sigc := make(chan os.Signal, 1)
		signal.Notify(sigc, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-sigc:
				stty(in, "echo")
				os.Exit(255)
			case <-done:
			}
		}()
		defer func() {
			close(done)
			wg.Wait()
			signal.Stop(sigc)
			stty(in, "echo")
		}()
	}
	line, err := readLine(in)
	if err != nil {
		return "", fmt.Errorf("failed during password entry: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// readLine reads up to a line break one byte at a time, so that whatever follows the
// password on stdin (a value for set, say) is still there for the command.
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(b.String(), "\r"), nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// stty changes the terminal's mode; failures only mean the password is echoed.
func stty(tty *os.File, mode string) {
	cmd := exec.Command("stty", mode)
	cmd.Stdin = tty
	_ = cmd.Run()
}
