"""What a test reads of a lease in the cache."""


def lease_held(cache, request_id):
    """Whether a delivery holds the lease of the request: its key holds a token (a
    string). Released after a ``done`` answer, the key holds the record of the copy
    answered (a dict) instead; released otherwise, nothing."""
    found, entry = cache.lookup(f"lease:{request_id}")
    return found and isinstance(entry, str)
