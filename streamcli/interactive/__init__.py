"""`streamcli chat` as a session: questions typed at a prompt, each answer streamed through
the same pipeline and terminal sink as a one-shot answer, the whole session one
conversation in the history.

`start` decides whether a chat is a session (imported at start-up: nothing heavy);
`session` runs one; `turn` streams one answer; `prompt` is the input line
(prompt_toolkit); `commands` are the slash commands.
"""
