"""MCP servers as tools: the config file, the names the model sees, the servers' running.

Only `config` and `naming` are imported for a chat that names no server; the SDK (the
`mcp` extra) is imported by `hub` alone, when a server is started.
"""
