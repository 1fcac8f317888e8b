"""Clients of a Nexus server: the shared interface and the HTTP implementation."""

from nexus.client.connect import connect_http
from nexus.client.http import HttpClient
from nexus.client.interface import NexusClient

__all__ = ["HttpClient", "NexusClient", "connect_http"]
