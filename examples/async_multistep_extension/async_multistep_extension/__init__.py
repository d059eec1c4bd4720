"""The multi-step purchase example with an async def handler."""
