"""streamcli: watch streams in a terminal and pipe them onward."""

__version__ = "0.1.0"
