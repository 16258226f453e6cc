"""Hutong: follow how China's internet platforms connect and disconnect, from the news."""

__version__ = "0.1.0"
