"""`streamcli replay`: a recording (JSON lines), an asciicast or plain text played back
with its timing. `source` recognises the format; `recording`, `asciicast` and
`plaintext` read one each; `lines` reads bytes as lines; `schedule` keeps the timing."""
