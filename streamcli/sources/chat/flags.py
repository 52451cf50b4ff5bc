"""What `streamcli chat`'s command line says, each flag spelled once, and the names of the
providers it accepts.

The fields carry their Typer options: the command line is derived from them (`cli.py`).
Imported at start-up, so nothing here imports more than Typer.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, get_args

import typer

# The providers: the ones that speak an HTTP API (protocols/), then local (local/).
ServerName = Literal["ollama", "openai", "anthropic"]
ProviderName = Literal[ServerName, "local"]
PROVIDERS: tuple[str, ...] = get_args(ProviderName)


@dataclass
class ChatFlags:
    """What the command line said (None: not given)."""

    system: Annotated[
        str | None, typer.Option("--system", "-s", metavar="TEXT", help="The system prompt.")
    ] = None
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="NAME",
            help="The model (default: the server's only one); local: a GGUF file "
            "(default: the bundled Gemma 3 270M).",
        ),
    ] = None
    provider: Annotated[
        ProviderName | None,
        typer.Option(
            "--provider",
            "-p",
            help="The API to speak, or local: a GGUF model in this process (default: guessed "
            "from the environment).",
        ),
    ] = None
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="The server (default: OLLAMA_HOST, OPENAI_BASE_URL or ANTHROPIC_BASE_URL).",
        ),
    ] = None
    temperature: Annotated[
        float | None,
        typer.Option(min=0, metavar="NUMBER", help="Sampling temperature (0: deterministic)."),
    ] = None
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, metavar="N", help="Stop the answer after N tokens."),
    ] = None
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            metavar="N",
            help="Sampling seed: the same answer again (local, Ollama, OpenAI-compatible).",
        ),
    ] = None
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Ask for the whole answer at once.")
    ] = False
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            metavar="SECONDS",
            help="End an answer that sends nothing new for SECONDS (default 60).",
        ),
    ] = None
    first_token_timeout: Annotated[
        float | None,
        typer.Option(
            "--first-token-timeout",
            min=0.001,
            metavar="SECONDS",
            help="Give up when the answer has not started after SECONDS (default 300).",
        ),
    ] = None
    retries: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=10,
            metavar="N",
            help="Retries of a failed request before the first token (default 2).",
        ),
    ] = None
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            metavar="FILE",
            dir_okay=False,
            help="Read the API key from FILE (readable by you alone).",
        ),
    ] = None
    tools: Annotated[
        list[str],
        typer.Option(
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
        typer.Option(
            "--tools",
            metavar="FILE",
            dir_okay=False,
            help="The user tools' TOML file (default: $XDG_CONFIG_HOME/streamcli/tools.toml).",
        ),
    ] = None
    mcp: Annotated[
        list[str],
        typer.Option(
            "--mcp",
            metavar="NAME",
            help="Offer every tool of the MCP server NAME (repeatable), as configured in "
            "the MCP servers file.",
            show_default=False,
        ),
    ] = field(default_factory=list)
    mcp_config: Annotated[
        Path | None,
        typer.Option(
            "--mcp-config",
            metavar="FILE",
            dir_okay=False,
            help="The MCP servers file (default: $XDG_CONFIG_HOME/streamcli/mcp.json).",
        ),
    ] = None
    approve: Annotated[
        bool,
        typer.Option(
            "--approve", help="Run user tools and MCP tools without asking before each call."
        ),
    ] = False
    tool_timeout: Annotated[
        float | None,
        typer.Option(
            "--tool-timeout",
            min=0.001,
            metavar="SECONDS",
            help="Stop a tool call after SECONDS: a user tool is killed (with its children), "
            "an MCP call cancelled (default 60).",
        ),
    ] = None
    max_tool_rounds: Annotated[
        int | None,
        typer.Option(
            "--max-tool-rounds",
            min=0,
            metavar="N",
            help="At most N rounds of tool calls per answer (default 5).",
        ),
    ] = None
    continue_last: Annotated[
        bool,
        typer.Option("--continue", "-c", help="Continue the most recent conversation."),
    ] = False
    conversation: Annotated[
        int | None,
        typer.Option("--conversation", min=1, metavar="ID", help="Continue the conversation ID."),
    ] = None
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Do not save this exchange in the history.")
    ] = False
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="Answer PROMPT, then stay for more (a session: the default on a terminal "
            "without a prompt).",
        ),
    ] = False

    @property
    def stream(self) -> bool:
        """Ask for the answer streamed (not `--no-stream`)."""
        return not self.no_stream
