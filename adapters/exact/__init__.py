"""Exact Online adapter: API client, mapping, write-backs and a local sandbox of the platform."""
