"""Conversations kept in SQLite: the store (`store`), the tap that writes an exchange
(`recorder`), the earlier messages of a conversation to continue (`conversation`) and
the `streamcli history` command's views and exports (`view`)."""
