"""relance: accounts-receivable collections connector for French SMEs and accounting firms."""

__version__ = "0.1.0"
DEFAULT_CONFIG_NAME = "relance.toml"
