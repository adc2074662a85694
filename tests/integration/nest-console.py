#!/usr/bin/python3
"""Logs in on a container's console the way a person at lxc-console does, for the nest.

    nest-console.py TRANSCRIPT USER PASSWORD COMMAND -- ARGV...

Runs ARGV (lxc-console -n parent -t 0, as the container's owner) on a fresh pseudo-terminal, as a
terminal emulator would: presses Enter until the getty on the console prompts "login:", types
USER, then PASSWORD at "Password:", waits until a shell answers, types COMMAND and waits for its
exit status, logs out with "exit" and leaves lxc-console with its escape (Ctrl-a q). Everything
the console printed goes to TRANSCRIPT.

Exit status: COMMAND's, or 124 when a step timed out, 125 when ARGV ended early. The bounds are
for a busy two-core machine and for a VM without KVM.
"""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

LOGIN_TIMEOUT = 120  # seconds from lxc-console's start to a shell prompt
COMMAND_TIMEOUT = 600  # seconds for COMMAND (an LXC container's create and start under TCG)
EXIT_TIMEOUT = 60  # seconds for the logout and for lxc-console to end


class Timeout(Exception):
    pass


class Ended(Exception):
    pass


class Terminal:
    def __init__(self, argv, transcript):
        self.transcript = open(transcript, "wb")
        self.seen = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        # Wide enough that the shell never wraps what is typed (a fresh pty says 0x0).
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))

    def read(self, seconds):
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        if not data:
            raise Ended()
        self.transcript.write(data)
        self.transcript.flush()
        self.seen += data

    def expect(self, pattern, seconds, nudge=None, every=3.0):
        """Waits until `pattern` (bytes regex) appears in what arrived since the last match; sends
        `nudge` every `every` seconds meanwhile. Returns the match."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + seconds
        next_nudge = time.monotonic()
        while True:
            found = regex.search(self.seen)
            if found:
                self.seen = self.seen[found.end():]
                return found
            now = time.monotonic()
            if now >= deadline:
                raise Timeout(pattern.decode())
            if nudge is not None and now >= next_nudge:
                self.send(nudge)
                next_nudge = now + every
            self.read(min(deadline, next_nudge if nudge is not None else deadline) - now)

    def send(self, text):
        os.write(self.fd, text.encode())

    def finish(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.read(0.5)
            except Ended:
                break
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
        else:
            os.kill(self.pid, signal.SIGKILL)  # the lxc-console this script started
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def main():
    if len(sys.argv) < 7 or sys.argv[5] != "--":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    transcript, user, password, command = sys.argv[1:5]
    term = Terminal(sys.argv[6:], transcript)
    status = 124
    step = "login prompt"
    try:
        # The getty printed its prompt before lxc-console attached: Enter makes it print another.
        term.expect(rb"login: ", LOGIN_TIMEOUT, nudge="\r")
        term.send(user + "\r")
        step = "password prompt"
        term.expect(rb"Password: ", LOGIN_TIMEOUT)
        term.send(password + "\r")
        # The quotes keep the echo of what is typed from matching: only the shell's output does.
        step = "shell"
        term.expect(rb"NEST-READY", LOGIN_TIMEOUT, nudge="echo NEST''-READY\r")
        step = "command"
        term.send(command + "; echo NEST''-DONE-$?\r")
        status = int(term.expect(rb"NEST-DONE-([0-9]+)", COMMAND_TIMEOUT).group(1))
        step = "logout"
        term.send("exit\r")
        term.expect(rb"login: ", EXIT_TIMEOUT)
    except Timeout as e:
        print(f"nest-console: timed out waiting for {e} ({step})", file=sys.stderr)
        status = 124
    except Ended:
        print(f"nest-console: the console ended during the step '{step}'", file=sys.stderr)
        status = 125
    term.send("\x01q")  # lxc-console's escape: Ctrl-a q
    code = term.finish(EXIT_TIMEOUT)
    if code != 0 and status == 0:
        print(f"nest-console: lxc-console exited with {code}", file=sys.stderr)
        status = 125
    term.transcript.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
