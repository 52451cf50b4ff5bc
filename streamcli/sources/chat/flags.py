"""What a chat is asked to be: `streamcli chat`'s flags, each spelled once, which a session
and `serve` build too.

The fields carry their options (`streamcli.options`): the command line is derived from
them (`cli.py`). Imported at start-up, so nothing here imports anything heavy.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from streamcli.options import MAX_ROW_ID, MAX_SECONDS, MAX_SEED, MAX_TOKENS, Option
from streamcli.providers import PROVIDERS


@dataclass
class ChatFlags:
    """What the command line said (None: not given)."""

    system: Annotated[
        str | None, Option("--system", "-s", metavar="TEXT", help="The system prompt.")
    ] = None
    model: Annotated[
        str | None,
        Option(
            "--model",
            "-m",
            metavar="NAME",
            help="The model (default: the server's only one); local: a GGUF file "
            "(default: the bundled Gemma 3 270M).",
        ),
    ] = None
    provider: Annotated[
        str | None,
        Option(
            "--provider",
            "-p",
            choices=PROVIDERS,
            help="The API to speak, or local: a GGUF model in this process (default: guessed "
            "from the environment).",
        ),
    ] = None
    base_url: Annotated[
        str | None,
        Option(
            "--base-url",
            metavar="URL",
            help="The server (default: OLLAMA_HOST, OPENAI_BASE_URL or ANTHROPIC_BASE_URL).",
        ),
    ] = None
    temperature: Annotated[
        float | None,
        Option(min=0, max=100, metavar="NUMBER", help="Sampling temperature (0: deterministic)."),
    ] = None
    max_tokens: Annotated[
        int | None,
        Option(
            "--max-tokens",
            min=1,
            max=MAX_TOKENS,
            metavar="N",
            help="Stop the answer after N tokens.",
        ),
    ] = None
    seed: Annotated[
        int | None,
        Option(
            "--seed",
            min=0,
            max=MAX_SEED,
            metavar="N",
            help="Sampling seed: the same answer again (local, Ollama, OpenAI-compatible).",
        ),
    ] = None
    no_stream: Annotated[bool, Option("--no-stream", help="Ask for the whole answer at once.")] = (
        False
    )
    timeout: Annotated[
        float | None,
        Option(
            "--timeout",
            min=0.001,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="End an answer that sends nothing new for SECONDS (default 60).",
        ),
    ] = None
    first_token_timeout: Annotated[
        float | None,
        Option(
            "--first-token-timeout",
            min=0.001,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="Give up when the answer has not started after SECONDS (default 300).",
        ),
    ] = None
    retries: Annotated[
        int | None,
        Option(
            min=0,
            max=10,
            metavar="N",
            help="Retries of a failed request before the first token (default 2).",
        ),
    ] = None
    key_file: Annotated[
        Path | None,
        Option(
            "--key-file",
            metavar="FILE",
            dir_okay=False,
            help="Read the API key from FILE (readable by you alone).",
        ),
    ] = None
    tools: Annotated[
        list[str],
        Option(
            "--tool",
            "-T",
            metavar="NAME",
            help="Offer the tool NAME to the model (repeatable): time, read_file, list_dir, "
            "or one from the tools file.",
            show_default=False,
        ),
    ] = field(default_factory=list)
    tools_file: Annotated[
        Path | None,
        Option(
            "--tools",
            metavar="FILE",
            dir_okay=False,
            help="The user tools' TOML file (default: $XDG_CONFIG_HOME/streamcli/tools.toml).",
        ),
    ] = None
    mcp: Annotated[
        list[str],
        Option(
            "--mcp",
            metavar="NAME",
            help="Offer every tool of the MCP server NAME (repeatable), as configured in "
            "the MCP servers file.",
            show_default=False,
        ),
    ] = field(default_factory=list)
    mcp_config: Annotated[
        Path | None,
        Option(
            "--mcp-config",
            metavar="FILE",
            dir_okay=False,
            help="The MCP servers file (default: $XDG_CONFIG_HOME/streamcli/mcp.json).",
        ),
    ] = None
    approve: Annotated[
        bool,
        Option("--approve", help="Run user tools and MCP tools without asking before each call."),
    ] = False
    tool_timeout: Annotated[
        float | None,
        Option(
            "--tool-timeout",
            min=0.001,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="Stop a tool call after SECONDS: a user tool is killed (with its children), "
            "an MCP call cancelled (default 60).",
        ),
    ] = None
    max_tool_rounds: Annotated[
        int | None,
        Option(
            "--max-tool-rounds",
            min=0,
            max=1000,
            metavar="N",
            help="At most N rounds of tool calls per answer (default 5).",
        ),
    ] = None
    continue_last: Annotated[
        bool,
        Option("--continue", "-c", help="Continue the most recent conversation."),
    ] = False
    conversation: Annotated[
        int | None,
        Option(
            "--conversation",
            min=1,
            max=MAX_ROW_ID,
            metavar="ID",
            help="Continue the conversation ID.",
        ),
    ] = None
    no_history: Annotated[
        bool, Option("--no-history", help="Do not save this exchange in the history.")
    ] = False
    interactive: Annotated[
        bool,
        Option(
            "--interactive",
            "-i",
            help="Answer PROMPT, then stay for more (a session: the default on a terminal "
            "without a prompt).",
        ),
    ] = False

    @property
    def asks_for_tools(self) -> bool:
        """Whether tools are asked for by name (`--tool`, `--mcp`): they need a server."""
        return bool(self.tools or self.mcp)

    @property
    def stream(self) -> bool:
        """Ask for the answer streamed (not `--no-stream`)."""
        return not self.no_stream
