"""The example purchase extension with an ``async def`` handler."""
