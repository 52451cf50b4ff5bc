"""A model run in this process with llama-cpp-python (`source`, `model`), and the small
bundled model installed by the `local` extra (`bundled`)."""
