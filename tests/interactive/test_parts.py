"""The parts of a session that need no terminal: completion, the input history file,
what a turn adds to the conversation, /save's Markdown, a source read early."""

from __future__ import annotations

import os
import stat

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from streamcli import events
from streamcli.errors import StreamcliError
from streamcli.interactive.dialogue import Dialogue, Turn
from streamcli.interactive.markdown import conversation_markdown
from streamcli.interactive.prompt import RECALLED, InputHistory, SlashCompleter
from streamcli.interactive.turn import EarlyStart, TurnTap
from streamcli.stream import Source
from streamcli.transcript import Transcript


def completions(completer: SlashCompleter, text: str) -> list[str]:
    document = Document(text, len(text))
    return [c.text for c in completer.get_completions(document, CompleteEvent())]


def test_completion_of_commands_and_models():
    completer = SlashCompleter(
        ["/model", "/help", "/history"], lambda: ["llama3", "qwen3"], ["/model"]
    )
    assert completions(completer, "/h") == ["/help", "/history"]
    assert completions(completer, "/mo") == ["/model "]  # it takes an argument
    assert completions(completer, "/model q") == ["qwen3"]
    assert completions(completer, "hello /h") == []
    assert completions(completer, "/help x") == []


def test_the_input_history_file_is_made_private(tmp_path):
    path = tmp_path / "state" / "streamcli" / "input_history"
    path.parent.mkdir(parents=True)
    path.write_text("")
    path.chmod(0o644)  # left readable by an older version, or by hand
    InputHistory(path).store_string("a secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert list(InputHistory(path).load_history_strings()) == ["a secret"]
    InputHistory(path, write=False).store_string("not kept")
    assert "not kept" not in path.read_text()


def test_the_input_history_recalls_the_newest_inputs_only(tmp_path):
    path = tmp_path / "input_history"
    path.write_text("".join(f"\n# 2026-12-05\n+input {n}\n" for n in range(RECALLED + 5)))
    recalled = list(InputHistory(path).load_history_strings())
    assert len(recalled) == RECALLED
    assert recalled[0] == f"input {RECALLED + 4}" and recalled[-1] == "input 5"


def test_a_turn_adds_its_messages_an_interrupted_one_marked():
    said = [events.start(0, "chat", model="m"), {"type": "text", "t": 0.1, "text": "Half"}]
    transcript = Transcript()
    transcript.feed(said)  # the source keeps what it said
    tap = TurnTap(transcript)
    tap.write(said)
    tap.write([events.end(0.2, "interrupted")])
    assert tap.model == "m"
    (message,) = tap.messages() or []
    assert message["content"].startswith("Half") and "interrupted" in message["content"]
    failed = TurnTap(Transcript())
    failed.write([events.error(0, "http", "boom"), events.end(0, "error")])
    assert failed.messages() is None
    dialogue = Dialogue(7, [{"role": "user", "content": "before"}])
    dialogue.turns.append(Turn("now", [{"role": "assistant", "content": "answer"}]))
    assert [m["content"] for m in dialogue.messages()] == ["before", "now", "answer"]


def test_save_writes_markdown_with_tool_calls_each_answer_under_its_model():
    answered = [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c", "name": "time", "arguments": {}}],
        },
        {"role": "tool", "tool_call_id": "c", "name": "time", "content": "12:00", "ok": True},
        {"role": "assistant", "content": "Noon."},
    ]
    earlier = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello."}]
    dialogue = Dialogue(3, earlier)
    dialogue.turns.append(Turn("what time is it?", answered, model="slow"))
    dialogue.turns.append(Turn("thanks", [{"role": "assistant", "content": "Welcome."}], model="m"))
    text = conversation_markdown(dialogue, "Be brief.")
    assert text.startswith("# Conversation with slow, m\n")
    assert "## System\n\nBe brief." in text
    assert "- tool call `time` `{}`" in text and "12:00" in text
    assert "## Assistant\n\nHello." in text  # continued: its model is not known here
    assert "## slow\n\nNoon." in text and "## m\n\nWelcome." in text


class _Failing(Source):
    name = "chat"

    def batches(self):
        yield [events.start(0, "chat")]
        raise StreamcliError("it broke")


def test_a_source_read_early_hands_on_its_batches_then_its_failure():
    early = EarlyStart(_Failing())
    batches = early.batches()
    assert next(batches)[0]["type"] == "start"
    with pytest.raises(StreamcliError, match="it broke"):
        next(batches)


def test_a_symbolic_link_as_the_input_history_is_never_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("\n# 2026-12-05\n+someone else's line\n")
    target.chmod(0o644)
    path = tmp_path / "state" / "input_history"
    path.parent.mkdir()
    path.symlink_to(target)
    history = InputHistory(path)
    assert history.refused is not None and "symbolic link" in history.refused
    assert list(history.load_history_strings()) == []
    history.store_string("a secret")
    assert "a secret" not in target.read_text()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    # Made a link after the check (a race): the write is refused by O_NOFOLLOW.
    path.unlink()
    racing = InputHistory(path)
    path.symlink_to(target)
    racing.store_string("a secret")
    assert "a secret" not in target.read_text()
    assert list(racing.load_history_strings()) == []
