"""A model run in this process with llama.cpp (`source`, `engine`, `model`, `gguf`), and
the small bundled model installed by the `local` extra (`bundled`)."""
