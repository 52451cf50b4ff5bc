"""`streamcli tail`: follow log files like `tail -F`, without losing lines on rotation.

- `source`: the `TailSource` that drives everything below; `flags`: what the command
  line says (`TailOptions`);
- `follower`: one file followed by name (the `stat` state machine), `openfile` its open
  descriptors, `position` where reading starts (`-n`);
- `stream`: stdin; `process`: `--pid`;
- `splitter`: bytes to lines; `line_events`: lines to `line` events (`--grep`, JSON);
- `wakeup`, `inotify`, `kqueue`: what wakes the follower up.
"""
