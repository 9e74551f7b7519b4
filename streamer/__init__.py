"""streamer: one clean event per real-world flash from news-site BREAKING tickers."""

__version__ = "0.1.0"
