"""The REST API of evidence and incidents (mounted by supplierwatch/api_urls.py)."""
