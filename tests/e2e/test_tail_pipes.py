"""`tail --no-follow` on a pipe or FIFO named as a file reads it to its end, as GNU tail
does, however slow its writer or late to connect."""

from __future__ import annotations

import os
import subprocess
import time

from conftest import STREAMCLI, cli_env


def test_a_process_substitution_with_a_slow_writer_is_read_to_its_end():
    # The writer starts after streamcli has looked at the pipe (and found nothing yet).
    command = " ".join(STREAMCLI) + " tail --no-follow -n +1 <(sleep 1.5; seq 3)"
    done = subprocess.run(["bash", "-c", command], capture_output=True, timeout=60, env=cli_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"1\n2\n3\n"


def test_a_fifo_whose_writer_connects_later_is_read_to_its_end(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [*STREAMCLI, "tail", "--no-follow", "-n", "2", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    time.sleep(0.5)  # streamcli has started, and no writer has connected yet
    writer = None
    while writer is None and process.poll() is None:
        try:  # fails (ENXIO) until a reader has the FIFO open
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.05)
    if writer is not None:
        for line in (b"a\n", b"b\n", b"c\n"):
            os.write(writer, line)
            time.sleep(0.1)
        os.close(writer)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert out == b"b\nc\n"
