"""Sources: where events come from (recordings, chat providers, files)."""
